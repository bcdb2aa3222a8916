#ifndef FAIRAUDIT_CBLAS_SHIM_H
#define FAIRAUDIT_CBLAS_SHIM_H
#include <cblas.h>
#include <lapacke.h>
#endif
