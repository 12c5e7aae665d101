package dev.quiver.kernels;

import dev.quiver.DType;
import dev.quiver.spi.Drawn;
import dev.quiver.spi.RandomDistribution;
import dev.quiver.spi.StridedView;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Which inputs of a fused kernel are views of a {@link Drawn} buffer, a bit per input (bit {@code i}: input
 * {@code i}), split by distribution. A drawn input is not read from memory: the kernel computes the value at buffer
 * index {@code b} as element {@code counter[0] + position + b} of the draw's Philox stream with the recipe of
 * {@code philox.qk} that {@code random} uses ({@link #recipe}). Seed, counter buffer, position and the two parameters
 * are kernel arguments, and the counter is read on the device, so a compiled step replays one program with the same
 * arguments every step while its counter moves on; only the distribution (and the dtype, which the kernel's input
 * types hold) is part of the program ({@link #nameSuffix}).
 *
 * <pre>{@code
 * DrawnInputs draws = DrawnInputs.of(new StridedView[] {normalDraw, weights});   // input 0 drawn, normal
 * draws.normal();                 // 0b1
 * draws.nameSuffix(2);            // "_d0n"
 * }</pre>
 *
 * @param uniform the inputs drawn uniformly
 * @param normal  the inputs drawn from a normal distribution
 */
public record DrawnInputs(int uniform, int normal) {
    /** No input is drawn: the programs of a plain fused kernel. */
    public static final DrawnInputs NONE = new DrawnInputs(0, 0);

    public DrawnInputs {
        if ((uniform & normal) != 0) {
            throw new IllegalArgumentException("kernels: an input is drawn uniformly and normally: " + uniform + ", "
                    + normal);
        }
    }

    /** The draws among {@code inputs}. */
    public static DrawnInputs of(StridedView[] inputs) {
        int uniform = 0;
        int normal = 0;
        for (int i = 0; i < inputs.length && i < Integer.SIZE; i++) {
            if (inputs[i].buffer() instanceof Drawn draw) {
                if (draw.distribution() == RandomDistribution.NORMAL) {
                    normal |= 1 << i;
                } else {
                    uniform |= 1 << i;
                }
            }
        }
        return uniform == 0 && normal == 0 ? NONE : new DrawnInputs(uniform, normal);
    }

    /** Whether input {@code i} is drawn. */
    public boolean drawn(int i) {
        return ((uniform | normal) & (1 << i)) != 0;
    }

    /** How many inputs are drawn. */
    public int count() {
        return Integer.bitCount(uniform | normal);
    }

    /** Whether no input is drawn. */
    public boolean none() {
        return (uniform | normal) == 0;
    }

    /** {@code _d} and each drawn input's index and {@code u} or {@code n} ({@code _d0n2u}); empty when none is. */
    public String nameSuffix(int inputs) {
        if (none()) {
            return "";
        }
        StringBuilder suffix = new StringBuilder("_d");
        for (int i = 0; i < inputs; i++) {
            if (drawn(i)) {
                suffix.append(i).append((normal & (1 << i)) != 0 ? 'n' : 'u');
            }
        }
        return suffix.toString();
    }

    /** The recipe of {@code philox.qk} for a draw ({@code UNIFORM24}, {@code UNIFORM53}, {@code NORMAL24}, ...). */
    public static String recipe(RandomDistribution distribution, DType dtype) {
        String bits = dtype == DType.FLOAT32 ? "24" : "53";
        return (distribution == RandomDistribution.NORMAL ? "NORMAL" : "UNIFORM") + bits;
    }

    /** The recipe of drawn input {@code i} of dtype {@code dtype}. */
    String recipe(int i, DType dtype) {
        return recipe((normal & (1 << i)) != 0 ? RandomDistribution.NORMAL : RandomDistribution.UNIFORM, dtype);
    }

    /** {@code defines} plus the recipe of each drawn input, which gives the program its {@code philox.qk} function. */
    Map<String, String> defines(List<DType> inputTypes, Map<String, String> defines) {
        if (none()) {
            return defines;
        }
        Map<String, String> all = new HashMap<>(defines);
        for (int i = 0; i < inputTypes.size(); i++) {
            if (drawn(i)) {
                all.put(recipe(i, inputTypes.get(i)), "1");
            }
        }
        return all;
    }

    /** The {@code philox.qk} functions a program with these draws puts before its kernel, or nothing. */
    String helpers() {
        return none() ? "" : Dialect.resource("philox.qk") + "\n";
    }

    /**
     * The load of drawn input {@code i} at buffer index {@code index} (a C expression, counted from the draw's
     * {@code in<i>_offset}): the recipe's function of the kernel arguments {@code in<i>_seed}, the stream counter
     * {@code in<i>_counter[0]} read on the device, {@code in<i>_scale} and {@code in<i>_shift}.
     */
    String load(int i, DType dtype, String index) {
        return "q_philox_" + recipe(i, dtype).toLowerCase(java.util.Locale.ROOT) + "(in" + i + "_seed, (q_u64) (in" + i
                + "_counter[0] + " + index + "), in" + i + "_scale, in" + i + "_shift)";
    }

    /**
     * The kernel parameters of drawn input {@code i}, in place of an input's pointer and offset: its seed, its
     * stream counter (a one-element buffer), the stream element of buffer index 0 past the counter, and the recipe's
     * scale and shift in {@code dtype}.
     */
    static String parameters(int i, DType dtype) {
        String type = ElementwiseKernels.typeName(dtype);
        return "q_u64 in" + i + "_seed, GLOBAL const q_i64* in" + i + "_counter, q_i64 in" + i + "_offset, " + type
                + " in" + i + "_scale, " + type + " in" + i + "_shift";
    }

    /**
     * The arguments of a drawn input whose element 0 is buffer index {@code offset} ({@link #parameters}): its seed,
     * its counter buffer, the stream element of that index past the counter, then the recipe's two parameters in the
     * dtype, rounded as {@link dev.quiver.spi.Philox} rounds them (uniform: {@code second - first} and {@code first};
     * normal: {@code second} and {@code first}).
     */
    static List<KernelArg> arguments(Drawn draw, long offset) {
        double scale = draw.distribution() == RandomDistribution.NORMAL ? draw.second() : draw.second() - draw.first();
        return List.of(new KernelArg.I64(draw.seed()), new KernelArg.Buffer(draw.counter()),
                new KernelArg.I64(draw.position() + offset), KernelArg.scalar(draw.dtype(), scale),
                KernelArg.scalar(draw.dtype(), draw.first()));
    }
}
