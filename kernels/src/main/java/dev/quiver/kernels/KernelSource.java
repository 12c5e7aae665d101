package dev.quiver.kernels;

import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * One compilable program: a body written in Quiver's kernel C subset plus the {@code -D} defines that specialize
 * it (element type, tile size, ...). Sources are values: equal sources compile to the same binary, which is what
 * backends key their program caches on (together with the device).
 *
 * <pre>{@code
 * KernelSource reduce = KernelSource.resource("reduce_sum_f32", "reduce.qk",
 *         Map.of("T", "q_f32", "ACC", "q_f32", "WG", "256"));
 * reduce.options();                  // "-DACC=q_f32 -DT=q_f32 -DWG=256"
 * Dialect.CUDA.render(reduce);       // the text nvcc or NVRTC compiles
 * }</pre>
 *
 * @param name    a readable name for logs and build errors ({@code exp_f32}, {@code matmul_f64})
 * @param body    the kernel text, without prelude
 * @param defines macro definitions passed to the compiler, sorted so equal maps give equal options
 */
public record KernelSource(String name, String body, Map<String, String> defines) {

    public KernelSource {
        defines = Map.copyOf(defines);
        defines.forEach((key, value) -> {
            // compilers split option strings on whitespace, so a define with a space would break the build line
            if (!key.matches("[A-Za-z_][A-Za-z0-9_]*") || value.isEmpty() || value.chars().anyMatch(Character::isWhitespace)) {
                throw new IllegalArgumentException("kernels: define " + key + "=" + value + " of " + name
                        + " must be an identifier and a value without spaces");
            }
        });
    }

    /** A source whose body is one of this module's {@code .qk} resources. */
    public static KernelSource resource(String name, String resource, Map<String, String> defines) {
        return new KernelSource(name, Dialect.resource(resource), defines);
    }

    /** The defines as compiler options, in a stable order: {@code -DT=q_f32 -DWG=256}. */
    public String options() {
        return new TreeMap<>(defines).entrySet().stream()
                .map(e -> "-D" + e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(" "));
    }

    /** The defines as {@code #define} lines, for tools that take one self-contained file. */
    public String defineLines() {
        StringBuilder lines = new StringBuilder();
        new TreeMap<>(defines).forEach((k, v) -> lines.append("#define ").append(k).append(' ').append(v).append('\n'));
        return lines.toString();
    }
}
