// Header-only module: declares libFuzzer's driver for Swift (see include/CLibFuzzer.h).
#include "CLibFuzzer.h"
