package dev.quiver;

import java.util.Arrays;

/**
 * The dimensions of a tensor; immutable. A scalar has rank 0 and size 1.
 *
 * <pre>{@code
 * Shape s = Shape.of(2, 3);
 * s.rank();   // 2
 * s.size();   // 6
 * Shape.broadcast("add", Shape.of(4, 1), Shape.of(3));   // (4, 3)
 * }</pre>
 */
public final class Shape {
    private static final Shape SCALAR = new Shape(new int[0]);
    private final int[] dims;

    private Shape(int[] dims) {
        this.dims = dims;
    }

    /** A shape with the given dimensions; each must be {@code >= 0}. */
    public static Shape of(int... dims) {
        if (dims.length == 0) {
            return SCALAR;
        }
        for (int d : dims) {
            if (d < 0) {
                throw new IllegalArgumentException("shape dimensions must be >= 0, got " + Arrays.toString(dims));
            }
        }
        return new Shape(dims.clone());
    }

    /** The rank-0 shape {@code ()}. */
    public static Shape scalar() {
        return SCALAR;
    }

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

    /** The number of elements: the product of the dimensions (1 for a scalar). */
    public long size() {
        long size = 1;
        for (int d : dims) {
            size *= d;
        }
        return size;
    }

    /** Row-major (C order) strides in elements. */
    public long[] contiguousStrides() {
        long[] strides = new long[dims.length];
        long step = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            strides[i] = step;
            step *= dims[i];
        }
        return strides;
    }

    /**
     * The numpy broadcast of two shapes: dimensions are matched from the right and must be equal or 1.
     *
     * @throws IllegalArgumentException naming {@code op} and both shapes when they don't broadcast
     */
    public static Shape broadcast(String op, Shape a, Shape b) {
        if (a.equals(b)) {
            return a;
        }
        int rank = Math.max(a.rank(), b.rank());
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            int da = i < rank - a.rank() ? 1 : a.dims[i - (rank - a.rank())];
            int db = i < rank - b.rank() ? 1 : b.dims[i - (rank - b.rank())];
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException(op + ": shapes " + a + " and " + b
                        + " cannot be broadcast together (dimension " + i + ": " + da + " vs " + db + ")");
            }
            out[i] = da == 1 ? db : da;
        }
        return new Shape(out);
    }

    /** Turns a possibly negative axis into {@code [0, rank)}, or throws naming the op. */
    public static int normalizeAxis(int axis, int rank, String op) {
        int normalized = axis < 0 ? axis + rank : axis;
        if (normalized < 0 || normalized >= rank) {
            throw new IllegalArgumentException(op + ": axis " + axis + " is out of range for rank " + rank);
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
