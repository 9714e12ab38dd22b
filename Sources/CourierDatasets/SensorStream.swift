/// IoT readings from 400 devices that report every few seconds, interleaved in time:
/// temperature and humidity drift slowly, the battery drains, the radio signal jitters,
/// the firmware and model are fixed per device:
///
///     {"id":"th-0042","model":"TH-200","fw":"2.4.1","t":1764547200123,"temp":21.47,"hum":45.2,"bat":3.712,"rssi":-67}
struct SensorStream: Sendable {
    private struct Device: Sendable {
        let id: String
        let model: String
        let firmware: String
        var temperature: Int  // hundredths of a degree
        let temperatureMean: Int
        var humidity: Int  // tenths of a percent
        var battery: Int  // millivolts
        let signalMean: Int
    }

    private var random: SplitMix64
    private var devices: [Device] = []
    private var clock: Int = 1_764_547_200_000

    init(seed: UInt64) {
        random = SplitMix64(seed: seed &+ 1)
        let models = ["TH-200", "TH-200", "TH-210", "ENV-3"]
        let firmwares = ["2.4.1", "2.4.1", "2.4.1", "2.5.0", "2.3.9"]
        for number in 0..<400 {
            let mean = random.int(in: 1_600...2_600)
            let digits = String(number)
            devices.append(Device(id: "th-" + String(repeating: "0", count: 4 - digits.count) + digits, model: random.pick(models),
                                  firmware: random.pick(firmwares), temperature: mean, temperatureMean: mean,
                                  humidity: random.int(in: 300...650), battery: random.int(in: 3_500...4_150), signalMean: random.int(in: -90 ... -45)))
        }
    }

    mutating func next() -> DatasetMessage {
        let index = random.int(in: 0...(devices.count - 1))
        var device = devices[index]
        clock += random.int(in: 5...40)
        // A small random walk pulled back towards the device's mean.
        device.temperature += random.int(in: -4...4) + (device.temperatureMean - device.temperature) / 50
        device.humidity = min(max(device.humidity + random.int(in: -3...3), 100), 990)
        if random.chance(0.05) { device.battery -= 1 }
        devices[index] = device
        let signal = device.signalMean + random.int(in: -3...3)
        let text = "{\"id\":\"\(device.id)\",\"model\":\"\(device.model)\",\"fw\":\"\(device.firmware)\",\"t\":\(clock),"
            + "\"temp\":\(DecimalText.fixed(device.temperature, scale: 2)),\"hum\":\(DecimalText.fixed(device.humidity, scale: 1)),"
            + "\"bat\":\(DecimalText.fixed(device.battery, scale: 3)),\"rssi\":\(signal)}"
        return DatasetMessage(key: device.id, bytes: Array(text.utf8))
    }
}
