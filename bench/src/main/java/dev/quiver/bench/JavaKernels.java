package dev.quiver.bench;

import java.util.Arrays;

/**
 * The plain-Java peer: the loop a Java programmer writes over arrays, with no library and no Vector API. It is
 * the baseline each Quiver kernel must beat, and its 16M-element add is this machine's "triad" bandwidth
 * (two arrays read, one written) that the elementwise and reduction targets are measured against.
 *
 * <pre>{@code
 * Kernel add = JavaKernels.add(Data.floats(1024, 1), Data.floats(1024, 2));
 * }</pre>
 */
public final class JavaKernels {
    private JavaKernels() {
    }

    /** {@code out[i] = a[i] + b[i]} into a preallocated output (STREAM's convention: the output exists). */
    public static Kernel add(float[] a, float[] b) {
        float[] out = new float[a.length];
        return new Kernel() {
            @Override
            public Object run() {
                for (int i = 0; i < out.length; i++) {
                    out[i] = a[i] + b[i];
                }
                return out;
            }

            @Override
            public double[] read(Object result) {
                return widen((float[]) result);
            }
        };
    }

    /** {@code out[i] = a[i] * b[i] + c[i]} (two roundings, as the unfused Java expression has). */
    public static Kernel mulAdd(float[] a, float[] b, float[] c) {
        float[] out = new float[a.length];
        return new Kernel() {
            @Override
            public Object run() {
                for (int i = 0; i < out.length; i++) {
                    out[i] = a[i] * b[i] + c[i];
                }
                return out;
            }

            @Override
            public double[] read(Object result) {
                return widen((float[]) result);
            }
        };
    }

    /** A float accumulator, one add after another: a plain loop is bound by the add's latency, not by memory. */
    public static Kernel sum(float[] a, boolean mean) {
        return new Kernel() {
            @Override
            public Object run() {
                float sum = 0;
                for (float value : a) {
                    sum += value;
                }
                return mean ? sum / a.length : sum;
            }

            @Override
            public double[] read(Object result) {
                return new double[] {(Float) result};
            }
        };
    }

    /** The flat i-k-j product ({@code float[]} or {@code double[]}, (batch, m, k) @ (batch, k, n)). */
    public static Kernel matmul(Object a, Object b, int batch, int m, int k, int n) {
        if (a instanceof float[] fa) {
            float[] fb = (float[]) b;
            float[] c = new float[batch * m * n];
            return new Kernel() {
                @Override
                public Object run() {
                    Arrays.fill(c, 0);
                    for (int bi = 0; bi < batch; bi++) {
                        int ao = bi * m * k;
                        int bo = bi * k * n;
                        int co = bi * m * n;
                        for (int i = 0; i < m; i++) {
                            for (int p = 0; p < k; p++) {
                                float aip = fa[ao + i * k + p];
                                int bRow = bo + p * n;
                                int cRow = co + i * n;
                                for (int j = 0; j < n; j++) {
                                    c[cRow + j] += aip * fb[bRow + j];
                                }
                            }
                        }
                    }
                    return c;
                }

                @Override
                public double[] read(Object result) {
                    return widen((float[]) result);
                }
            };
        }
        double[] da = (double[]) a;
        double[] db = (double[]) b;
        double[] c = new double[batch * m * n];
        return new Kernel() {
            @Override
            public Object run() {
                Arrays.fill(c, 0);
                for (int bi = 0; bi < batch; bi++) {
                    int ao = bi * m * k;
                    int bo = bi * k * n;
                    int co = bi * m * n;
                    for (int i = 0; i < m; i++) {
                        for (int p = 0; p < k; p++) {
                            double aip = da[ao + i * k + p];
                            int bRow = bo + p * n;
                            int cRow = co + i * n;
                            for (int j = 0; j < n; j++) {
                                c[cRow + j] += aip * db[bRow + j];
                            }
                        }
                    }
                }
                return c;
            }

            @Override
            public double[] read(Object result) {
                return (double[]) result;
            }
        };
    }

    /** A 1-element add with a new result array: what dispatch overhead is compared against. */
    public static Kernel tinyAdd(float a, float b) {
        float[] left = {a};
        float[] right = {b};
        return new Kernel() {
            @Override
            public Object run() {
                return new float[] {left[0] + right[0]};
            }

            @Override
            public double[] read(Object result) {
                return widen((float[]) result);
            }
        };
    }

    /** {@link java.util.SplittableRandom#nextGaussian()} (the JDK's ziggurat) into a preallocated array. */
    public static Kernel normal(boolean float64, int size) {
        java.util.SplittableRandom random = new java.util.SplittableRandom(7);
        float[] floats = float64 ? null : new float[size];
        double[] doubles = float64 ? new double[size] : null;
        return new Kernel() {
            @Override
            public Object run() {
                if (float64) {
                    for (int i = 0; i < size; i++) {
                        doubles[i] = random.nextGaussian();
                    }
                    return doubles;
                }
                for (int i = 0; i < size; i++) {
                    floats[i] = (float) random.nextGaussian();
                }
                return floats;
            }

            @Override
            public double[] read(Object result) {
                return result instanceof float[] f ? widen(f) : ((double[]) result).clone();
            }
        };
    }

    static double[] widen(float[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }
}
