package dev.quiver.kernels;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The C dialects Quiver's kernels compile as. Every kernel is written once against a small set of names
 * ({@code KERNEL}, {@code GLOBAL}, {@code LOCAL}, {@code BARRIER()}, {@code GID(d)}, {@code LID(d)}, the
 * {@code q_f32}/{@code q_i64}/... types); each dialect's prelude maps them, so the rendered text of a
 * {@link KernelSource} differs between OpenCL and CUDA only in its first lines.
 *
 * <pre>{@code
 * String cuda = Dialect.CUDA.render(source);     // prelude-cuda.h + the kernel body
 * String openCl = Dialect.OPENCL.render(source); // prelude-opencl.h + the same body
 * }</pre>
 */
public enum Dialect {
    OPENCL("prelude-opencl.h"),
    CUDA("prelude-cuda.h");

    private final String prelude;

    Dialect(String preludeResource) {
        this.prelude = resource(preludeResource);
    }

    /** The prelude text that maps Quiver's kernel names to this dialect. */
    public String prelude() {
        return prelude;
    }

    /**
     * The complete program text: the prelude, then the source's body. The source's defines are not part of the
     * text; compilers get them as {@code -D} options ({@link KernelSource#options()}).
     */
    public String render(KernelSource source) {
        return prelude + "\n" + source.body();
    }

    /** Reads a kernel resource shipped in this module ({@code reduce.qk}, {@code prelude-cuda.h}, ...). */
    static String resource(String name) {
        try (InputStream in = Dialect.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("kernels: resource " + name + " is missing from the quiver-kernels jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("kernels: cannot read resource " + name, e);
        }
    }
}
