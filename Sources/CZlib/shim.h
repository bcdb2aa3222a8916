#ifndef FAIRAUDIT_CZLIB_SHIM_H
#define FAIRAUDIT_CZLIB_SHIM_H
#include <zlib.h>
/* inflateInit2 and deflateInit2 are macros; Swift sees these functions instead. */
static inline int fa_inflateInit2(z_streamp strm, int windowBits) {
    return inflateInit2(strm, windowBits);
}
static inline int fa_deflateInit2(z_streamp strm, int level, int method, int windowBits,
                                  int memLevel, int strategy) {
    return deflateInit2(strm, level, method, windowBits, memLevel, strategy);
}
#endif
