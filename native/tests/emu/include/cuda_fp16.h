// The CPU emulator stands in for the CUDA toolkit's cuda_fp16.h (see ../cuda_emu.h).
#include "../cuda_emu.h"
