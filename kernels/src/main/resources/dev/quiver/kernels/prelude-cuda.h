/* Quiver kernel prelude for CUDA C (nvcc or NVRTC, no system headers needed). The same names as
 * prelude-opencl.h, so one kernel source serves both dialects. */
typedef unsigned char q_u8;
typedef int q_i32;
typedef unsigned int q_u32;
typedef long long q_i64;
typedef unsigned long long q_u64;
typedef float q_f32;
typedef double q_f64;

#define KERNEL extern "C" __global__
#define GLOBAL
#define LOCAL __shared__
#define DEVICE_FN static __device__ __forceinline__
#define BARRIER() __syncthreads()
#define Q_AXIS(v, d) ((d) == 0 ? (v).x : (d) == 1 ? (v).y : (v).z)
#define GID(d) ((q_i64) Q_AXIS(blockIdx, d) * Q_AXIS(blockDim, d) + Q_AXIS(threadIdx, d))
#define GSIZE(d) ((q_i64) Q_AXIS(gridDim, d) * Q_AXIS(blockDim, d))
#define LID(d) ((q_i64) Q_AXIS(threadIdx, d))
#define LSIZE(d) ((q_i64) Q_AXIS(blockDim, d))
#define GROUP_ID(d) ((q_i64) Q_AXIS(blockIdx, d))
#define NGROUPS(d) ((q_i64) Q_AXIS(gridDim, d))
/* compare-and-swap of a global int, returning the old value */
#define Q_ATOMIC_CAS_I32(p, expected, desired) atomicCAS((int*) (p), (expected), (desired))
#define Q_INFINITY_F32 __int_as_float(0x7f800000)
#define Q_INFINITY_F64 __longlong_as_double(0x7ff0000000000000LL)
/* A floating value's raw bits and back (Float.floatToRawIntBits / Float.intBitsToFloat) */
#define q_bits_f32(x) __float_as_int(x)
#define q_value_f32(x) __int_as_float(x)
#define q_bits_f64(x) ((q_i64) __double_as_longlong(x))
#define q_value_f64(x) __longlong_as_double((long long) (x))
