package dev.quiver.backend.cpu;

import dev.quiver.DType;
import dev.quiver.spi.Primitive;
import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import jdk.incubator.vector.VectorShape;

/**
 * Loads the SIMD kernel classes once per vector width, as hidden classes whose vector shape is a true
 * constant.
 *
 * <p>Why: the Vector API compiles to SIMD instructions only when C2 sees the {@code VectorSpecies} as a
 * constant. A species in an instance field is not one, and the kernels then run on boxed vectors (a 4x2-tile
 * matmul measured 1.5 GFLOP/s that way instead of ~100). A {@code static final} species is a constant, but a
 * class has one set of statics, and the backend must offer 128, 256 and 512 bits side by side (tests compare
 * them; {@code quiver.cpu.simd} chooses). So each kernel class is written once and defined as a hidden class
 * per width, with the {@link VectorShape} as its class data, which its {@code static final} species read
 * ({@link #shape}). Each copy is compiled on its own with its own constant: one source, full speed at every
 * width. Loaded as an ordinary class (no class data) a kernel class falls back to the preferred shape.
 *
 * <p>The kernel classes with vector code are generated per floating dtype: the elementwise rows from the op table
 * ({@code Float32Elementwise}, by kernels' {@code CpuKernelGenerator}), reductions and matmul from the templates in
 * {@code src/main/templates} ({@code Float64Reductions}, {@code Float32Matmul}, ..., see README.md there); {@link Elementwise}, {@link Reductions} and {@link Matmul} pick one by dtype
 * and load it at their own width.
 */
final class Simd {
    private Simd() {
    }

    /** What {@link Elementwise} offers the backend; rows as {@link StridedWalk} produces them. */
    interface ElementwiseKernels {
        void unaryRow(Primitive op, DType type, Object in, int io, int is, Object out, int oo, int os, int n);

        void binaryRow(Primitive op, DType type, Object a, int ao, int as, Object b, int bo, int bs, Object out, int oo, int os, int n);

        void whereRow(DType type, boolean[] c, int co, int cs, Object t, int to, int ts, Object f, int fo, int fss,
                Object out, int oo, int os, int n);

        void copyRow(DType inType, Object in, int io, int is, DType outType, Object out, int oo, int os, int n);

        void fillRow(DType type, Object out, int oo, int os, int n, double value);
    }

    /** What {@link Reductions} offers the backend. */
    interface ReductionKernels {
        void reduce(Primitive op, DType type, Object in, int io, Object out, int oo, int outer, int reduced, int inner);

        /** {@code laneSums[i % LANE_SUMS] += in[io + i]} for {@code i < n}, in order; floating dtypes only. */
        void accumulateLanes(DType type, Object in, int io, int n, Object laneSums);
    }

    /**
     * One floating dtype's SIMD rows ({@code Float32Elementwise}, {@code Float64Elementwise}): output stride 1,
     * input strides 1 or 0 (broadcast), arrays of that dtype; {@link Elementwise} decides which rows come here.
     */
    interface FloatingRows {
        void unary(Primitive op, Object x, int xo, int xs, Object y, int yo, int n);

        /** Arithmetic into the dtype's array, comparisons into a {@code boolean[]}. */
        void binary(Primitive op, Object a, int ao, int as, Object b, int bo, int bs, Object y, int yo, int n);

        void where(boolean[] c, int co, int cs, Object t, int to, int ts, Object f, int fo, int fs, Object y, int yo, int n);

        void fill(Object y, int yo, int n, double value);
    }

    /** One floating dtype's SIMD reductions ({@code Float32Reductions}, {@code Float64Reductions}); see {@link Reductions}. */
    interface FloatingReductions {
        void reduce(Primitive op, Object in, int io, Object out, int oo, int outer, int reduced, int inner);

        /** See {@link ReductionKernels#accumulateLanes}. */
        void accumulateLanes(Object in, int io, int n, Object laneSums);
    }

    /**
     * One floating dtype's matrix product ({@code Float32Matmul}, {@code Float64Matmul}): packing and the
     * register-tiled kernel; {@link Matmul} holds the settings and hands them over.
     */
    interface FloatingMatmul {
        /** {@code c[bi] = a[bi] @ b[bi]}, as {@link Matmul#multiply}, with k blocks of {@code kBlock}. */
        void multiply(Object a, long ao, long[] as, Object b, long bo, long[] bs, Object c, int co, int batch, int m, int k, int n,
                CpuThreads threads, long parallelMinMultiplyAdds, int kBlock);
    }

    /** A new instance of kernel class {@code template} specialised to {@code simdBits}, seen through {@code api}. */
    static <T> T load(Class<T> api, String template, int simdBits) {
        String resource = template + ".class";
        try (InputStream in = Simd.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("cpu: kernel class file " + resource + " is missing from the backend's jar");
            }
            MethodHandles.Lookup lookup = MethodHandles.lookup()
                    .defineHiddenClassWithClassData(in.readAllBytes(), VectorShape.forBitSize(simdBits), true);
            Object kernels = lookup.findConstructor(lookup.lookupClass(), MethodType.methodType(void.class)).invoke();
            return api.cast(kernels);
        } catch (IOException e) {
            throw new IllegalStateException("cpu: cannot read kernel class " + resource, e);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("cpu: cannot define " + simdBits + "-bit kernels from " + resource, e);
        }
    }

    /** The vector shape a kernel class was defined with (its class data), or the preferred one. */
    static VectorShape shape(MethodHandles.Lookup kernelClass) {
        try {
            VectorShape shape = MethodHandles.classData(kernelClass, "_", VectorShape.class);
            return shape != null ? shape : VectorShape.preferredShape();
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("cpu: cannot read the vector shape of " + kernelClass, e);
        }
    }
}
