package dev.quiver;

import dev.quiver.spi.Backend;
import java.util.Arrays;

/**
 * The dimensions of a tensor; immutable. A scalar has rank 0 and size 1. The element count is exact: a shape
 * whose count (or whose row-major strides) would not fit a {@code long} is rejected, never wrapped around.
 *
 * <pre>{@code
 * Shape s = Shape.of(2, 3);
 * s.rank();   // 2
 * s.size();   // 6
 * Shape.broadcast("add", Shape.of(4, 1), Shape.of(3));   // (4, 3)
 * }</pre>
 */
public final class Shape {
    private static final Shape SCALAR = new Shape(new int[0], 1);
    private final int[] dims;
    private final long size;
    // row-major strides, computed once: every dense tensor of this shape shares them (never written)
    private final long[] strides;

    private Shape(int[] dims, long size) {
        this.dims = dims;
        this.size = size;
        this.strides = new long[dims.length];
        long step = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            strides[i] = step;
            step *= dims[i];
        }
    }

    /** A shape with the given dimensions; each must be {@code >= 0}, and the element count must fit a long. */
    public static Shape of(int... dims) {
        return of("Shape.of", null, dims);
    }

    /** {@link #of(int...)} for core's factories and ops: errors name {@code method} and {@code backend}. */
    static Shape of(String method, Backend backend, int[] dims) {
        Errors.notNull(dims, method, "dims");
        if (dims.length == 0) {
            return SCALAR;
        }
        for (int d : dims) {
            if (d < 0) {
                throw Errors.invalid(method, backend, "shape dimensions must be >= 0, got " + Arrays.toString(dims));
            }
        }
        int[] copy = dims.clone();
        return new Shape(copy, exactSize(method, backend, copy));
    }

    /**
     * The product of the dimensions, with exact arithmetic. The non-zero dimensions alone must multiply into a long
     * too, because the row-major strides are their partial products (a zero dimension does not make them small).
     */
    private static long exactSize(String method, Backend backend, int[] dims) {
        long nonZero = 1;
        boolean empty = false;
        for (int d : dims) {
            if (d == 0) {
                empty = true;
                continue;
            }
            try {
                nonZero = Math.multiplyExact(nonZero, d);
            } catch (ArithmeticException overflow) {
                throw Errors.invalid(method, backend, "shape " + text(dims) + " has more elements than a long can count"
                        + " (the element count overflows)");
            }
        }
        return empty ? 0 : nonZero;
    }

    /** The rank-0 shape {@code ()}. */
    public static Shape scalar() {
        return SCALAR;
    }

    /** The number of dimensions (0 for a scalar). */
    public int rank() {
        return dims.length;
    }

    /** The size of dimension {@code axis}; negative axes count from the end. */
    public int dim(int axis) {
        return dims[normalizeAxis(axis, dims.length, "dim")];
    }

    /** A copy of the dimensions. */
    public int[] dims() {
        return dims.clone();
    }

    /** The number of elements: the product of the dimensions (1 for a scalar), exact. */
    public long size() {
        return size;
    }

    /** Row-major (C order) strides in elements (a copy: the caller may change it). */
    public long[] contiguousStrides() {
        return strides.clone();
    }

    /**
     * {@link #contiguousStrides()} without the copy, for core's dense tensors, which share it: nobody may write
     * into the array (a tensor's strides are final, and {@link Tensor#view()} hands out copies).
     */
    long[] sharedStrides() {
        return strides;
    }

    /**
     * Whether {@code strides} lay this shape out row-major and dense ({@link dev.quiver.spi.StridedView#isContiguous}
     * of such a view), checked without building the view.
     */
    boolean isContiguous(long[] strides) {
        long step = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            if (dims[i] != 1 && strides[i] != step) {
                return false;
            }
            step *= dims[i];
        }
        return true;
    }

    /**
     * The numpy broadcast of two shapes: dimensions are matched from the right and must be equal or 1.
     *
     * @throws IllegalArgumentException naming {@code op} and both shapes when they don't broadcast
     */
    public static Shape broadcast(String op, Shape a, Shape b) {
        return broadcast(op, null, a, b);
    }

    /** {@link #broadcast(String, Shape, Shape)} with errors that name the backend. */
    static Shape broadcast(String op, Backend backend, Shape a, Shape b) {
        if (a.equals(b)) {
            return a;
        }
        int rank = Math.max(a.rank(), b.rank());
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            int da = i < rank - a.rank() ? 1 : a.dims[i - (rank - a.rank())];
            int db = i < rank - b.rank() ? 1 : b.dims[i - (rank - b.rank())];
            if (da != db && da != 1 && db != 1) {
                throw Errors.invalid(op, backend, "shapes " + a + " and " + b
                        + " cannot be broadcast together (dimension " + i + ": " + da + " vs " + db + ")");
            }
            out[i] = da == 1 ? db : da;
        }
        return new Shape(out, exactSize(op, backend, out));
    }

    /** Turns a possibly negative axis into {@code [0, rank)}, or throws naming the op. */
    public static int normalizeAxis(int axis, int rank, String op) {
        return normalizeAxis(axis, rank, op, null);
    }

    /** {@link #normalizeAxis(int, int, String)} with errors that name the backend. */
    static int normalizeAxis(int axis, int rank, String op, Backend backend) {
        int normalized = axis < 0 ? axis + rank : axis;
        if (normalized < 0 || normalized >= rank) {
            throw Errors.invalid(op, backend, "axis " + axis + " is out of range for rank " + rank);
        }
        return normalized;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Shape shape && Arrays.equals(dims, shape.dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    /** Python tuple style, as TensorFlow prints shapes: {@code ()}, {@code (3,)}, {@code (1, 3)}. */
    @Override
    public String toString() {
        return text(dims);
    }

    private static String text(int[] dims) {
        if (dims.length == 1) {
            return "(" + dims[0] + ",)";
        }
        StringBuilder text = new StringBuilder("(");
        for (int i = 0; i < dims.length; i++) {
            text.append(i == 0 ? "" : ", ").append(dims[i]);
        }
        return text.append(')').toString();
    }
}
