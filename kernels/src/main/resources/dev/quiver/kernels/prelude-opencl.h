/* Quiver kernel prelude for OpenCL C. Kernel sources are written once against these names; prelude-cuda.h maps
 * the same names to CUDA C, so a kernel body never says which dialect it is compiled as. */
#ifdef Q_FP64
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#endif
/* No contraction of a * b + c into one fma: rendered formulas are one statement per rounding, and must give the
 * CPU's bits; fma only where a formula says fma. */
#pragma OPENCL FP_CONTRACT OFF
typedef uchar q_u8;
typedef int q_i32;
typedef uint q_u32;
typedef long q_i64;
typedef ulong q_u64;
typedef float q_f32;
#ifdef Q_FP64
typedef double q_f64;
#endif

#define KERNEL __kernel
#define GLOBAL __global
#define LOCAL __local
#define DEVICE_FN static inline
#define BARRIER() barrier(CLK_LOCAL_MEM_FENCE)
#define GID(d) ((q_i64) get_global_id(d))
#define GSIZE(d) ((q_i64) get_global_size(d))
#define LID(d) ((q_i64) get_local_id(d))
#define LSIZE(d) ((q_i64) get_local_size(d))
#define GROUP_ID(d) ((q_i64) get_group_id(d))
#define NGROUPS(d) ((q_i64) get_num_groups(d))
/* compare-and-swap of a global int, returning the old value (OpenCL 1.1 core) */
#define Q_ATOMIC_CAS_I32(p, expected, desired) atomic_cmpxchg((volatile GLOBAL int*) (p), (expected), (desired))
#define Q_INFINITY_F32 INFINITY
#define Q_INFINITY_F64 ((double) INFINITY)
/* A floating value's raw bits and back (Float.floatToRawIntBits / Float.intBitsToFloat) */
#define q_bits_f32(x) as_int(x)
#define q_value_f32(x) as_float(x)
#ifdef Q_FP64
#define q_bits_f64(x) as_long(x)
#define q_value_f64(x) as_double(x)
#endif
