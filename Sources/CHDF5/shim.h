#ifndef FAIRAUDIT_CHDF5_SHIM_H
#define FAIRAUDIT_CHDF5_SHIM_H
#include <hdf5.h>
/* HDF5's H5T_NATIVE_* and H5P_* names are macros over global ids that Swift
   cannot import; these wrappers give them to Swift as functions. */
static inline hid_t fa_h5t_native_float(void)  { return H5T_NATIVE_FLOAT; }
static inline hid_t fa_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t fa_h5t_native_int8(void)   { return H5T_NATIVE_INT8; }
static inline hid_t fa_h5t_native_int16(void)  { return H5T_NATIVE_INT16; }
static inline hid_t fa_h5t_native_int32(void)  { return H5T_NATIVE_INT32; }
static inline hid_t fa_h5t_native_int64(void)  { return H5T_NATIVE_INT64; }
static inline hid_t fa_h5t_native_uint8(void)  { return H5T_NATIVE_UINT8; }
static inline hid_t fa_h5t_native_uint16(void) { return H5T_NATIVE_UINT16; }
static inline hid_t fa_h5t_native_uint32(void) { return H5T_NATIVE_UINT32; }
static inline hid_t fa_h5t_native_uint64(void) { return H5T_NATIVE_UINT64; }
static inline hid_t fa_h5t_c_s1(void)          { return H5T_C_S1; }
static inline hid_t fa_h5p_file_access(void)   { return H5P_FILE_ACCESS; }
static inline hid_t fa_h5p_link_access(void)   { return H5P_LINK_ACCESS; }
static inline hid_t fa_h5p_dataset_access(void){ return H5P_DATASET_ACCESS; }
static inline hid_t fa_h5p_default(void)       { return H5P_DEFAULT; }
static inline hid_t fa_h5s_all(void)           { return H5S_ALL; }
static inline hid_t fa_h5f_acc_rdonly(void)    { return H5F_ACC_RDONLY; }
static inline unsigned fa_h5f_acc_rdwr(void)   { return H5F_ACC_RDWR; }
/* Added for formats/HDF5 (reading safely, writing back, file images). */
static inline hid_t fa_h5e_default(void)       { return H5E_DEFAULT; }
static inline hid_t fa_h5p_file_create(void)   { return H5P_FILE_CREATE; }
static inline hid_t fa_h5p_link_create(void)   { return H5P_LINK_CREATE; }
static inline hid_t fa_h5p_dataset_create(void){ return H5P_DATASET_CREATE; }
static inline unsigned fa_h5f_acc_excl(void)   { return H5F_ACC_EXCL; }
static inline unsigned fa_h5f_acc_trunc(void)  { return H5F_ACC_TRUNC; }
static inline size_t fa_h5t_variable(void)     { return H5T_VARIABLE; }
#endif
