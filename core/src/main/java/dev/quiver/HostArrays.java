package dev.quiver;

import dev.quiver.spi.Backend;
import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.List;

/** Converts between Java values (scalars, arrays, nested arrays) and flat typed arrays plus a shape. */
final class HostArrays {
    private HostArrays() {
    }

    /** A Java value flattened in row-major order, with its shape and the dtype it naturally has. */
    record Flat(Shape shape, DType naturalType, double[] doubles, long[] longs) {
        long size() {
            return shape.size();
        }
    }

    /**
     * Flattens a scalar ({@code Number}, {@code Boolean}), a primitive array or a nested array. Java
     * {@code double} and {@code float} become float32 (as Python floats do in TensorFlow), {@code int} int32,
     * {@code long} int64 and {@code boolean} bool; boxed values follow their own class. An empty array keeps the
     * rank of its Java type: the lengths below it are unknown to Java and become 0. Errors name {@code op} and
     * {@code backend}, where the tensor was to be made.
     */
    static Flat flatten(Object value, String op, Backend backend) {
        if (value == null) { // a value that is no tensor, like "text": the caller's data, not a missing argument
            throw Errors.invalid(op, backend, "cannot make a tensor from null");
        }
        List<Integer> dims = new ArrayList<>();
        Object probe = value;
        while (probe != null && probe.getClass().isArray()) {
            int length = Array.getLength(probe);
            dims.add(length);
            if (length == 0) {
                // no element to look into: the array type still says how many levels lie below
                for (Class<?> below = probe.getClass().getComponentType(); below.isArray();
                     below = below.getComponentType()) {
                    dims.add(0);
                }
                break;
            }
            probe = Array.get(probe, 0);
        }
        int[] shape = new int[dims.size()]; // a loop, not a stream: this runs before the first op (cold start)
        for (int i = 0; i < shape.length; i++) {
            shape[i] = dims.get(i);
        }
        Shape checked = Shape.of(op, backend, shape);
        long size = checked.size();
        if (size > Integer.MAX_VALUE - 8) {
            throw Errors.invalid(op, backend, size + " elements do not fit a Java array");
        }
        DType natural = naturalType(value, op, backend);
        boolean integral = natural.isIntegral() || natural == DType.BOOL;
        double[] doubles = integral ? null : new double[(int) size];
        long[] longs = integral ? new long[(int) size] : null;
        int[] cursor = {0};
        fill(value, 0, shape, doubles, longs, cursor, op, backend);
        return new Flat(checked, natural, doubles, longs);
    }

    /** The dtype a Java value has by its element type, or for boxed elements by the widest of their classes. */
    private static DType naturalType(Object value, String op, Backend backend) {
        Class<?> type = value.getClass();
        while (type.isArray()) {
            type = type.getComponentType();
        }
        if (type.isPrimitive() || type != Object.class && !Number.class.equals(type)) {
            return typeOf(type, op, backend);
        }
        // Object[] (or Number[]): each boxed element says its own type, and the widest wins, as in a promotion
        DType widest = null;
        List<Object> pending = new ArrayList<>();
        pending.add(value);
        while (!pending.isEmpty()) {
            Object next = pending.removeLast();
            if (next != null && next.getClass().isArray()) {
                for (int i = 0, n = Array.getLength(next); i < n; i++) {
                    pending.add(Array.get(next, i));
                }
            } else if (next != null) {
                DType leaf = typeOf(next.getClass(), op, backend);
                widest = widest == null ? leaf : DType.promote(widest, leaf);
            }
        }
        return widest == null ? DType.FLOAT32 : widest; // nothing inside: float32, as tf.constant([])
    }

    private static DType typeOf(Class<?> type, String op, Backend backend) {
        if (type == double.class || type == float.class || type == Double.class || type == Float.class) {
            return DType.FLOAT32;
        }
        if (type == int.class || type == short.class || type == byte.class || type == Integer.class
                || type == Short.class || type == Byte.class) {
            return DType.INT32;
        }
        if (type == long.class || type == Long.class) {
            return DType.INT64;
        }
        if (type == boolean.class || type == Boolean.class) {
            return DType.BOOL;
        }
        if (Number.class.isAssignableFrom(type)) {
            return DType.FLOAT32; // BigDecimal and friends: their doubleValue()
        }
        throw Errors.invalid(op, backend, "cannot make a tensor from " + type.getName()
                + "; use numbers, booleans or (nested) arrays of them");
    }

    private static void fill(Object value, int depth, int[] shape, double[] doubles, long[] longs, int[] cursor,
                             String op, Backend backend) {
        if (depth == shape.length) {
            if (value != null && value.getClass().isArray()) {
                throw Errors.invalid(op, backend, "ragged nested array (deeper than the first element)");
            }
            if (doubles != null) {
                doubles[cursor[0]++] = toDouble(value, op, backend);
            } else {
                longs[cursor[0]++] = toLong(value, op, backend);
            }
            return;
        }
        if (value == null || !value.getClass().isArray() || Array.getLength(value) != shape[depth]) {
            throw Errors.invalid(op, backend, "ragged nested array: expected length " + shape[depth]
                    + " at depth " + depth + ", shape " + Shape.of(shape));
        }
        for (int i = 0; i < shape[depth]; i++) {
            fill(Array.get(value, i), depth + 1, shape, doubles, longs, cursor, op, backend);
        }
    }

    private static double toDouble(Object value, String op, Backend backend) {
        if (value instanceof Number number) {
            return number.doubleValue();
        }
        if (value instanceof Boolean bool) {
            return bool ? 1 : 0;
        }
        throw Errors.invalid(op, backend, "not a number: " + value);
    }

    private static long toLong(Object value, String op, Backend backend) {
        if (value instanceof Boolean bool) {
            return bool ? 1 : 0;
        }
        if (value instanceof Number number) {
            return number.longValue();
        }
        throw Errors.invalid(op, backend, "not a number: " + value);
    }

    /** The Java array a backend uploads for {@code dtype}, converting exactly or failing with the bad value. */
    static Object toTyped(Flat flat, DType dtype, String op, Backend backend) {
        int size = (int) flat.size();
        switch (dtype) {
            case FLOAT32 -> {
                float[] out = new float[size];
                for (int i = 0; i < size; i++) {
                    out[i] = flat.doubles != null ? (float) flat.doubles[i] : (float) flat.longs[i];
                }
                return out;
            }
            case FLOAT64 -> {
                double[] out = new double[size];
                for (int i = 0; i < size; i++) {
                    out[i] = flat.doubles != null ? flat.doubles[i] : (double) flat.longs[i];
                }
                return out;
            }
            case INT32, INT64 -> {
                long[] longs = new long[size];
                for (int i = 0; i < size; i++) {
                    if (flat.doubles != null) {
                        double v = flat.doubles[i];
                        if (v != Math.rint(v) || Double.isInfinite(v)) {
                            throw Errors.invalid(op, backend, "value " + v + " cannot be converted to "
                                    + dtype + " without loss");
                        }
                        longs[i] = (long) v;
                    } else {
                        longs[i] = flat.longs[i];
                    }
                    if (dtype == DType.INT32 && (longs[i] < Integer.MIN_VALUE || longs[i] > Integer.MAX_VALUE)) {
                        throw Errors.invalid(op, backend, "value " + longs[i] + " is out of range for int32");
                    }
                }
                if (dtype == DType.INT64) {
                    return longs;
                }
                int[] out = new int[size];
                for (int i = 0; i < size; i++) {
                    out[i] = (int) longs[i];
                }
                return out;
            }
            case BOOL -> {
                boolean[] out = new boolean[size];
                for (int i = 0; i < size; i++) {
                    out[i] = flat.doubles != null ? flat.doubles[i] != 0 : flat.longs[i] != 0;
                }
                return out;
            }
        }
        throw new AssertionError(dtype);
    }

    /** Element {@code i} of a downloaded array as a double. */
    static double getDouble(Object array, int i) {
        return switch (array) {
            case float[] a -> a[i];
            case double[] a -> a[i];
            case int[] a -> a[i];
            case long[] a -> a[i];
            case boolean[] a -> a[i] ? 1 : 0;
            default -> throw new IllegalStateException("unexpected host array " + array.getClass());
        };
    }

    /** Element {@code i} of a downloaded array as a long (floats truncate toward zero). */
    static long getLong(Object array, int i) {
        return switch (array) {
            case float[] a -> (long) a[i];
            case double[] a -> (long) a[i];
            case int[] a -> a[i];
            case long[] a -> a[i];
            case boolean[] a -> a[i] ? 1 : 0;
            default -> throw new IllegalStateException("unexpected host array " + array.getClass());
        };
    }

    /** Formats element {@code i} the way numpy prints it (shortest round-trip for floats). */
    static String format(Object array, int i) {
        return switch (array) {
            case float[] a -> Float.toString(a[i]);
            case double[] a -> Double.toString(a[i]);
            case int[] a -> Integer.toString(a[i]);
            case long[] a -> Long.toString(a[i]);
            case boolean[] a -> a[i] ? "True" : "False";
            default -> throw new IllegalStateException("unexpected host array " + array.getClass());
        };
    }

    /** Builds a nested Java array ({@code float[][]}, ...) of {@code shape} from a flat host array. */
    static Object nest(Object flat, int[] shape) {
        if (shape.length == 0) {
            return Array.get(flat, 0);
        }
        Class<?> component = flat.getClass().getComponentType();
        return nest(flat, shape, 0, new int[] {0}, component);
    }

    private static Object nest(Object flat, int[] shape, int depth, int[] cursor, Class<?> component) {
        if (depth == shape.length - 1) {
            Object row = Array.newInstance(component, shape[depth]);
            System.arraycopy(flat, cursor[0], row, 0, shape[depth]);
            cursor[0] += shape[depth];
            return row;
        }
        Class<?> rowType = component;
        for (int i = depth + 1; i < shape.length; i++) {
            rowType = rowType.arrayType();
        }
        Object out = Array.newInstance(rowType, shape[depth]);
        for (int i = 0; i < shape[depth]; i++) {
            Array.set(out, i, nest(flat, shape, depth + 1, cursor, component));
        }
        return out;
    }

    /** numpy-style text: {@code [[1 2 3]\n [4 5 6]]}, summarised with {@code ...} beyond 1000 elements. */
    static String render(Object flat, int[] shape) {
        StringBuilder out = new StringBuilder();
        boolean summarise = Shape.of(shape).size() > 1000;
        render(flat, shape, 0, 0, out, summarise);
        return out.toString();
    }

    private static void render(Object flat, int[] shape, int depth, int start, StringBuilder out, boolean summarise) {
        if (depth == shape.length) {
            out.append(format(flat, start));
            return;
        }
        int stride = 1;
        for (int i = depth + 1; i < shape.length; i++) {
            stride *= shape[i];
        }
        out.append('[');
        for (int i = 0; i < shape[depth]; i++) {
            if (summarise && shape[depth] > 6 && i == 3) {
                out.append(depth == shape.length - 1 ? "... " : "...\n" + " ".repeat(depth + 1));
                i = shape[depth] - 3;
            }
            render(flat, shape, depth + 1, start + i * stride, out, summarise);
            if (i < shape[depth] - 1) {
                out.append(depth == shape.length - 1 ? " " : "\n".repeat(shape.length - depth - 1) + " ".repeat(depth + 1));
            }
        }
        out.append(']');
    }
}
