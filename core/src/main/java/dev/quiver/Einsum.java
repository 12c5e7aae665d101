package dev.quiver;

import dev.quiver.spi.Backend;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@link Tensor#einsum}: one or two operands, lowered to the ops that already exist so that it needs no kernel and no
 * gradient rule of its own. Letters only in one operand and not in the output are summed first; then the letters of
 * both operands split into batch (in the output), contracted (not in the output) and free ones, each operand is
 * permuted and reshaped to {@code (batch, free, contracted)} / {@code (batch, contracted, free)}, one batched matmul
 * multiplies them, and the result is reshaped and permuted into the output's order.
 *
 * <pre>{@code
 * Einsum.evaluate("ij,j->i", matrix, vector);   // (i, 1) matmul, then the 1 removed
 * }</pre>
 */
final class Einsum {
    private Einsum() {
    }

    static Tensor evaluate(String equation, Tensor... operands) {
        Errors.notNull(equation, "einsum", "equation");
        Errors.notNull(operands, "einsum", "operands");
        Backend backend = operands.length > 0 && operands[0] != null ? operands[0].backend() : null;
        for (int i = 0; i < operands.length; i++) {
            Errors.notNull(operands[i], "einsum", "operand " + i).checkOpen("einsum");
        }
        String spec = equation.replace(" ", "");
        if (spec.contains(".")) {
            throw unsupported(backend, equation, "ellipses (...) are not supported; write every axis as a letter");
        }
        int arrow = spec.indexOf("->");
        String[] inputs = (arrow < 0 ? spec : spec.substring(0, arrow)).split(",", -1);
        if (inputs.length != operands.length) {
            throw unsupported(backend, equation, "names " + inputs.length + " operand(s) but " + operands.length
                    + " were given");
        }
        if (inputs.length < 1 || inputs.length > 2) {
            throw unsupported(backend, equation, "only one or two operands are supported, got " + inputs.length);
        }
        Map<Character, Integer> sizes = new LinkedHashMap<>();
        for (int o = 0; o < inputs.length; o++) {
            String letters = inputs[o];
            Tensor x = operands[o];
            if (letters.length() != x.rank()) {
                throw unsupported(backend, equation, "operand " + o + " '" + letters + "' has " + letters.length()
                        + " letters but shape " + x.shape());
            }
            for (int i = 0; i < letters.length(); i++) {
                char c = letters.charAt(i);
                if (!Character.isLetter(c)) {
                    throw unsupported(backend, equation, "'" + c + "' is not a letter");
                }
                if (letters.indexOf(c) != i) {
                    throw unsupported(backend, equation, "letter '" + c + "' repeats within operand " + o
                            + " (a diagonal), which is not supported");
                }
                Integer known = sizes.putIfAbsent(c, x.shape().dim(i));
                if (known != null && known != x.shape().dim(i)) {
                    throw unsupported(backend, equation, "letter '" + c + "' has size " + known + " and " + x.shape().dim(i)
                            + " (shapes " + shapes(operands) + ")");
                }
            }
        }
        String output = arrow >= 0 ? spec.substring(arrow + 2) : implicitOutput(inputs);
        for (int i = 0; i < output.length(); i++) {
            char c = output.charAt(i);
            if (!sizes.containsKey(c) || output.indexOf(c) != i) {
                throw unsupported(backend, equation, "output letter '" + c + "' must appear in an input, once in the output");
            }
        }
        return inputs.length == 1
                ? single(inputs[0], operands[0], output)
                : pair(inputs[0], operands[0], inputs[1], operands[1], output, sizes);
    }

    /** One operand: sum the letters the output drops, then permute into the output's order. */
    private static Tensor single(String letters, Tensor x, String output) {
        String kept = sumAway(letters, x, output, "");
        Tensor reduced = reduceAway(letters, x, output, "");
        return reduced.transpose(order(kept, output));
    }

    private static Tensor pair(String left, Tensor a, String right, Tensor b, String output,
                               Map<Character, Integer> sizes) {
        // letters only one operand has and the output drops are summed out of that operand first
        Tensor x = reduceAway(left, a, output, right);
        String l = sumAway(left, a, output, right);
        Tensor y = reduceAway(right, b, output, left);
        String r = sumAway(right, b, output, left);
        StringBuilder batch = new StringBuilder();
        StringBuilder contracted = new StringBuilder();
        StringBuilder freeLeft = new StringBuilder();
        StringBuilder freeRight = new StringBuilder();
        for (char c : l.toCharArray()) {
            boolean inRight = r.indexOf(c) >= 0;
            boolean inOutput = output.indexOf(c) >= 0;
            (inRight ? (inOutput ? batch : contracted) : freeLeft).append(c);
        }
        for (char c : r.toCharArray()) {
            if (l.indexOf(c) < 0) {
                freeRight.append(c);
            }
        }
        int batchSize = product(batch, sizes);
        int m = product(freeLeft, sizes);
        int k = product(contracted, sizes);
        int n = product(freeRight, sizes);
        Tensor first = x.transpose(order(l, batch + freeLeft.toString() + contracted)).reshape(batchSize, m, k);
        Tensor second = y.transpose(order(r, batch + contracted.toString() + freeRight)).reshape(batchSize, k, n);
        String produced = batch.toString() + freeLeft + freeRight;
        int[] dims = new int[produced.length()];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = sizes.get(produced.charAt(i));
        }
        return first.matmul(second).reshape(dims).transpose(order(produced, output));
    }

    /** The letters of {@code letters} that survive {@link #reduceAway}. */
    private static String sumAway(String letters, Tensor x, String output, String other) {
        StringBuilder kept = new StringBuilder();
        for (char c : letters.toCharArray()) {
            if (output.indexOf(c) >= 0 || other.indexOf(c) >= 0) {
                kept.append(c);
            }
        }
        return kept.toString();
    }

    /** {@code x} summed over its letters that are neither in the output nor in the other operand. */
    private static Tensor reduceAway(String letters, Tensor x, String output, String other) {
        List<Integer> axes = new ArrayList<>();
        for (int i = 0; i < letters.length(); i++) {
            char c = letters.charAt(i);
            if (output.indexOf(c) < 0 && other.indexOf(c) < 0) {
                axes.add(i);
            }
        }
        return axes.isEmpty() ? x : x.sum(axes.stream().mapToInt(Integer::intValue).toArray());
    }

    /** The permutation taking axes named {@code from} into the order {@code to} (the same letters). */
    private static int[] order(String from, String to) {
        int[] permutation = new int[to.length()];
        for (int i = 0; i < permutation.length; i++) {
            permutation[i] = from.indexOf(to.charAt(i));
        }
        return permutation;
    }

    private static int product(CharSequence letters, Map<Character, Integer> sizes) {
        long size = 1;
        for (int i = 0; i < letters.length(); i++) {
            size *= sizes.get(letters.charAt(i));
        }
        return Math.toIntExact(size);
    }

    /** numpy's implicit output: the letters that appear exactly once, in alphabetical order. */
    private static String implicitOutput(String[] inputs) {
        String all = String.join("", inputs);
        StringBuilder once = new StringBuilder();
        all.chars().sorted().distinct().filter(c -> all.indexOf(c) == all.lastIndexOf(c))
                .forEach(c -> once.append((char) c));
        return once.toString();
    }

    private static String shapes(Tensor[] operands) {
        return Arrays.stream(operands).map(t -> t.shape().toString()).toList().toString();
    }

    private static IllegalArgumentException unsupported(Backend backend, String equation, String detail) {
        return Errors.invalid("einsum", backend, "equation \"" + equation + "\": " + detail);
    }
}
