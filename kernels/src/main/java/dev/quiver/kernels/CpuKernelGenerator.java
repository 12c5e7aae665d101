package dev.quiver.kernels;

import dev.quiver.DType;
import dev.quiver.spi.ElementwiseOps;
import dev.quiver.spi.Expr;
import dev.quiver.spi.Primitive;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes the CPU backend's elementwise kernels from the op table ({@link ElementwiseOps}) at build time: for
 * float32 and float64 the Vector API rows of every op ({@code Float32Elementwise}, {@code Float64Elementwise},
 * rendered by {@link VectorRenderer}), and for every dtype the scalar twins ({@code ScalarElementwise}, rendered by
 * {@link JavaScalarRenderer}). One method per op and dtype, chosen by a switch on the primitive: each method's
 * operators are constants, which the Vector API needs to compile to SIMD instructions.
 *
 * <p>backend-cpu runs it during its own compilation, as the annotation processor {@link CpuKernelProcessor}
 * (kernels is a {@code provided} dependency there), so a fresh checkout needs nothing but {@code ./mvnw compile}.
 * It can also be run by hand to look at the output:
 *
 * <pre>{@code
 * java -cp core/target/classes:kernels/target/classes dev.quiver.kernels.CpuKernelGenerator /tmp/generated
 * // /tmp/generated/dev/quiver/backend/cpu/{Float32Elementwise,Float64Elementwise,ScalarElementwise}.java
 * }</pre>
 */
public final class CpuKernelGenerator {
    /** The package of the generated classes. */
    public static final String PACKAGE = "dev.quiver.backend.cpu";

    private static final String HEADER = "// Generated from the op table (dev.quiver.spi.ElementwiseOps) by "
            + "dev.quiver.kernels.CpuKernelGenerator at build time:\n// edit the table or the generator, never this "
            + "file.\n";
    private static final DType[] DTYPES = DType.values();

    private CpuKernelGenerator() {
    }

    /** Writes the generated sources under {@code args[0]} (a source root). */
    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: CpuKernelGenerator <source root>");
        }
        Path folder = Path.of(args[0]).resolve(PACKAGE.replace('.', '/'));
        Files.createDirectories(folder);
        for (Map.Entry<String, String> file : sources().entrySet()) {
            Files.writeString(folder.resolve(file.getKey() + ".java"), file.getValue(), StandardCharsets.UTF_8);
        }
    }

    /** Simple class name to source: {@code Float32Elementwise}, {@code Float64Elementwise}, {@code ScalarElementwise}. */
    public static Map<String, String> sources() {
        Map<String, String> sources = new LinkedHashMap<>();
        sources.put("Float32Elementwise", simdClass(DType.FLOAT32));
        sources.put("Float64Elementwise", simdClass(DType.FLOAT64));
        sources.put("ScalarElementwise", scalarClass());
        return sources;
    }

    // ---------------------------------------------------------------- shared pieces

    /** {@code greaterEqual}: the op's method name stem. */
    static String stem(Primitive op) {
        StringBuilder name = new StringBuilder();
        boolean upper = false;
        for (char c : op.name().toLowerCase(Locale.ROOT).toCharArray()) {
            if (c == '_') {
                upper = true;
            } else {
                name.append(upper ? Character.toUpperCase(c) : c);
                upper = false;
            }
        }
        return name.toString();
    }

    /** {@code Float32}, {@code Int64}, {@code Bool}. */
    static String dtypeName(DType dtype) {
        return switch (dtype) {
            case FLOAT32 -> "Float32";
            case FLOAT64 -> "Float64";
            case INT32 -> "Int32";
            case INT64 -> "Int64";
            case BOOL -> "Bool";
        };
    }

    /** Which inputs of {@code op} are read as MASKs (bool tensors) on operand dtype {@code dtype}. */
    static boolean[] maskInputs(ElementwiseOps.Definition definition, DType dtype) {
        Expr formula = definition.formula(dtype);
        return formula == null ? new boolean[definition.arity()] : StatementWriter.maskInputs(formula, definition.arity());
    }

    private static boolean maskResult(ElementwiseOps.Definition definition, DType dtype) {
        return definition.resultDtype(dtype) == DType.BOOL;
    }

    private static String arrayType(boolean mask, DType dtype) {
        return (mask ? "boolean" : JavaScalarRenderer.javaType(Expr.Type.VALUE, dtype)) + "[]";
    }

    /** {@code float[] a0, int o0, int s0, float[] a1, int o1, int s1}. */
    private static String inputParameters(boolean[] masks, DType dtype) {
        StringBuilder p = new StringBuilder();
        for (int i = 0; i < masks.length; i++) {
            p.append(arrayType(masks[i], dtype)).append(" a").append(i).append(", int o").append(i).append(", int s")
                    .append(i).append(", ");
        }
        return p.toString();
    }

    private static List<String> names(String prefix, int arity) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < arity; i++) {
            names.add(prefix + i);
        }
        return names;
    }

    // ---------------------------------------------------------------- scalar twins

    private static String scalarClass() {
        StringBuilder s = new StringBuilder(HEADER);
        s.append("""
                package dev.quiver.backend.cpu;

                import dev.quiver.DType;
                import dev.quiver.spi.Primitive;

                /**
                 * The scalar twin of every elementwise op on every dtype, rendered from the op table: plain loops over
                 * 1-D strided rows, one method per op and dtype, each element computed with the same operations in the
                 * same order as the SIMD rows ({@code Float32Elementwise}) and the device kernels. The reference the SIMD
                 * rows are tested against, what runs when {@code quiver.cpu.simd=0}, and the path of int32, int64, bool
                 * and of rows whose strides the SIMD rows do not take.
                 */
                @SuppressWarnings("cast")
                final class ScalarElementwise {
                    private ScalarElementwise() {
                    }

                    private static UnsupportedOperationException unsupported(Primitive op, DType type) {
                        return new UnsupportedOperationException("cpu: " + op.opName() + " is not defined on " + type);
                    }

                """);
        dispatcher(s, Primitive.Kind.UNARY, "unaryRow", "Object in, int io, int is, Object out, int oo, int os, int n",
                new String[] {"in, io, is"});
        dispatcher(s, Primitive.Kind.BINARY, "binaryRow",
                "Object a, int ao, int as, Object b, int bo, int bs, Object out, int oo, int os, int n",
                new String[] {"a, ao, as", "b, bo, bs"});
        dispatcher(s, Primitive.Kind.WHERE, "whereRow",
                "boolean[] c, int co, int cs, Object t, int to, int ts, Object f, int fo, int fs, Object out, int oo, "
                        + "int os, int n", new String[] {"c, co, cs", "t, to, ts", "f, fo, fs"});
        for (ElementwiseOps.Definition definition : ElementwiseOps.all()) {
            for (DType dtype : DTYPES) {
                if (definition.supports(dtype)) {
                    scalarMethod(s, definition, dtype);
                }
            }
        }
        return s.append("}\n").toString();
    }

    private static void dispatcher(StringBuilder s, Primitive.Kind kind, String method, String parameters,
                                   String[] inputs) {
        String dtypeParameter = kind == Primitive.Kind.WHERE ? "" : "Primitive op, ";
        s.append("    static void ").append(method).append('(').append(dtypeParameter).append("DType type, ")
                .append(parameters).append(") {\n");
        if (kind == Primitive.Kind.WHERE) {
            s.append("        Primitive op = Primitive.WHERE;\n");
        }
        s.append("        switch (op) {\n");
        for (ElementwiseOps.Definition definition : ElementwiseOps.all()) {
            if (definition.op().kind() != kind) {
                continue;
            }
            s.append("            case ").append(definition.op().name()).append(" -> {\n")
                    .append("                switch (type) {\n");
            for (DType dtype : DTYPES) {
                if (!definition.supports(dtype)) {
                    continue;
                }
                boolean[] masks = maskInputs(definition, dtype);
                s.append("                    case ").append(dtype.name()).append(" -> ").append(stem(definition.op()))
                        .append(dtypeName(dtype)).append('(');
                for (int i = 0; i < inputs.length; i++) {
                    String[] parts = inputs[i].split(", ");
                    boolean alreadyTyped = kind == Primitive.Kind.WHERE && i == 0;
                    s.append(alreadyTyped ? parts[0] : "(" + arrayType(masks[i], dtype) + ") " + parts[0])
                            .append(", ").append(parts[1]).append(", ").append(parts[2]).append(", ");
                }
                s.append('(').append(arrayType(maskResult(definition, dtype), dtype)).append(") out, oo, os, n);\n");
            }
            s.append("                    default -> throw unsupported(op, type);\n")
                    .append("                }\n            }\n");
        }
        s.append("            default -> throw unsupported(op, type);\n        }\n    }\n\n");
    }

    private static void scalarMethod(StringBuilder s, ElementwiseOps.Definition definition, DType dtype) {
        boolean[] masks = maskInputs(definition, dtype);
        boolean maskOut = maskResult(definition, dtype);
        s.append("    static void ").append(stem(definition.op())).append(dtypeName(dtype)).append('(')
                .append(inputParameters(masks, dtype)).append(arrayType(maskOut, dtype))
                .append(" y, int yo, int ys, int n) {\n");
        StringBuilder body = new StringBuilder();
        body.append("        for (int i = 0; i < n; i++) {\n");
        for (int i = 0; i < masks.length; i++) {
            body.append("            final ").append(masks[i] ? "boolean" : JavaScalarRenderer.javaType(Expr.Type.VALUE,
                    dtype)).append(" x").append(i).append(" = a").append(i).append("[o").append(i).append(" + i * s")
                    .append(i).append("];\n");
        }
        Expr formula = definition.formula(dtype);
        String result = JavaScalarRenderer.statements(formula, dtype, names("x", definition.arity()), body,
                "            ");
        body.append("            y[yo + i * ys] = ").append(result).append(";\n        }\n");
        if (CRenderer.dividesIntegers(formula, dtype)) {
            // Expr's integer DIV: a zero divisor is the op's error; Java's own says only "/ by zero"
            s.append("        try {\n").append(body.toString().indent(4))
                    .append("        } catch (ArithmeticException zeroDivisor) {\n")
                    .append("            throw new ArithmeticException(\"").append(definition.op().opName())
                    .append(": integer division by zero on cpu\");\n        }\n");
        } else {
            s.append(body);
        }
        s.append("    }\n\n");
    }

    // ---------------------------------------------------------------- SIMD rows

    private static String simdClass(DType dtype) {
        String type = JavaScalarRenderer.javaType(Expr.Type.VALUE, dtype);
        String box = dtype == DType.FLOAT32 ? "Float" : "Double";
        String vector = VectorRenderer.vectorType(Expr.Type.VALUE, dtype);
        String bitsVector = VectorRenderer.vectorType(Expr.Type.BITS, dtype);
        String bitsBox = dtype == DType.FLOAT32 ? "Integer" : "Long";
        String className = dtypeName(dtype) + "Elementwise";
        StringBuilder s = new StringBuilder(HEADER);
        s.append("""
                package dev.quiver.backend.cpu;

                import dev.quiver.spi.Primitive;
                import java.lang.invoke.MethodHandles;
                import java.util.Arrays;
                import jdk.incubator.vector.%3$s;
                import jdk.incubator.vector.%4$s;
                import jdk.incubator.vector.VectorMask;
                import jdk.incubator.vector.VectorOperators;
                import jdk.incubator.vector.VectorShape;
                import jdk.incubator.vector.VectorSpecies;

                /**
                 * The %1$s SIMD rows of {@link Elementwise}, rendered from the op table: output stride 1, each input
                 * stride 1 or 0 (a broadcast scalar becomes a broadcast vector). One method per op, its operators
                 * constants. The tail of a row (fewer elements than a vector) goes to the scalar twin
                 * ({@link ScalarElementwise}), which computes the same bits: a masked load or store that reaches past
                 * the end of its array leaves the Vector API's intrinsic for a lane-by-lane check that allocates on
                 * every call once C2 compiled it that way (it did in some JVMs: 100-220 bytes per fused call).
                 */
                @SuppressWarnings({"cast", "unused"})
                final class %2$s implements Simd.FloatingRows {
                    // Constants per hidden class (see Simd): the Vector API intrinsifies only constant species.
                    private static final VectorShape SHAPE = Simd.shape(MethodHandles.lookup());
                    private static final VectorSpecies<%5$s> S = %3$s.SPECIES_PREFERRED.withShape(SHAPE);
                    private static final VectorSpecies<%6$s> SB = %4$s.SPECIES_PREFERRED.withShape(SHAPE);

                    /** Use {@code Simd.load(..., "%2$s", bits)}: loaded plainly, the class runs at the preferred width. */
                    public %2$s() {
                    }

                    @Override
                    public void fill(Object out, int yo, int n, double value) {
                        %7$s[] y = (%7$s[]) out;
                        int lanes = S.length();
                        int bound = S.loopBound(n);
                        %3$s v = %3$s.broadcast(S, (%7$s) value);
                        int i = 0;
                        for (; i < bound; i += lanes) {
                            v.intoArray(y, yo + i);
                        }
                        for (; i < n; i++) {
                            y[yo + i] = (%7$s) value;
                        }
                    }

                """.formatted(dtype.name().toLowerCase(Locale.ROOT), className, vector, bitsVector, box, bitsBox,
                type));
        simdDispatcher(s, dtype, Primitive.Kind.UNARY, "unary", "Object in, int io, int is, Object out, int yo, int n",
                new String[] {"in, io, is"});
        simdDispatcher(s, dtype, Primitive.Kind.BINARY, "binary",
                "Object a, int ao, int as, Object b, int bo, int bs, Object out, int yo, int n",
                new String[] {"a, ao, as", "b, bo, bs"});
        simdDispatcher(s, dtype, Primitive.Kind.WHERE, "where",
                "boolean[] c, int co, int cs, Object t, int to, int ts, Object f, int fo, int fs, Object out, int yo, "
                        + "int n", new String[] {"c, co, cs", "t, to, ts", "f, fo, fs"});
        for (ElementwiseOps.Definition definition : ElementwiseOps.all()) {
            if (definition.supports(dtype)) {
                simdMethod(s, definition, dtype);
            }
        }
        return s.append("}\n").toString();
    }

    private static void simdDispatcher(StringBuilder s, DType dtype, Primitive.Kind kind, String method,
                                       String parameters, String[] inputs) {
        s.append("    @Override\n    public void ").append(method).append('(')
                .append(kind == Primitive.Kind.WHERE ? "" : "Primitive op, ").append(parameters).append(") {\n");
        if (kind == Primitive.Kind.WHERE) {
            s.append("        Primitive op = Primitive.WHERE;\n");
        }
        s.append("        switch (op) {\n");
        for (ElementwiseOps.Definition definition : ElementwiseOps.all()) {
            if (definition.op().kind() != kind || !definition.supports(dtype)) {
                continue;
            }
            boolean[] masks = maskInputs(definition, dtype);
            s.append("            case ").append(definition.op().name()).append(" -> ").append(stem(definition.op()))
                    .append("Row(");
            for (int i = 0; i < inputs.length; i++) {
                String[] parts = inputs[i].split(", ");
                boolean alreadyTyped = kind == Primitive.Kind.WHERE && i == 0;
                s.append(alreadyTyped ? parts[0] : "(" + arrayType(masks[i], dtype) + ") " + parts[0]).append(", ")
                        .append(parts[1]).append(", ").append(parts[2]).append(", ");
            }
            s.append('(').append(arrayType(maskResult(definition, dtype), dtype)).append(") out, yo, n);\n");
        }
        s.append("            default -> throw new IllegalStateException(\"cpu: no ").append(dtype)
                .append(" SIMD row for \" + op.opName());\n        }\n    }\n\n");
    }

    private static String render(ElementwiseOps.Definition definition, DType dtype, StringBuilder out, String indent) {
        return VectorRenderer.statements(definition.formula(dtype), dtype, names("x", definition.arity()), out, indent);
    }

    private static void simdMethod(StringBuilder s, ElementwiseOps.Definition definition, DType dtype) {
        boolean[] masks = maskInputs(definition, dtype);
        boolean maskOut = maskResult(definition, dtype);
        int arity = definition.arity();
        String vector = VectorRenderer.vectorType(Expr.Type.VALUE, dtype);
        String mask = VectorRenderer.vectorType(Expr.Type.MASK, dtype);
        String method = stem(definition.op()) + "Row";
        s.append("    private static void ").append(method).append('(').append(inputParameters(masks, dtype))
                .append(arrayType(maskOut, dtype)).append(" y, int yo, int n) {\n");
        // broadcast inputs (stride 0) become one vector, loaded once
        StringBuilder allBroadcast = new StringBuilder();
        for (int i = 0; i < arity; i++) {
            s.append("        final ").append(masks[i] ? mask : vector).append(" b").append(i).append(" = ")
                    .append(masks[i] ? "S.maskAll(s" + i + " == 0 && a" + i + "[o" + i + "])"
                            : vector + ".broadcast(S, s" + i + " == 0 ? a" + i + "[o" + i + "] : 0)")
                    .append(";\n");
            allBroadcast.append(i == 0 ? "" : " && ").append('s').append(i).append(" == 0");
        }
        // every input broadcast: the twin computes the one value (the same bits as a SIMD lane), which fills the
        // row; a third copy of the formula here would push pow's row towards HotSpot's 8000-byte limit for JIT
        s.append("        if (").append(allBroadcast).append(") {\n");
        s.append("            ScalarElementwise.").append(stem(definition.op())).append(dtypeName(dtype)).append('(');
        for (int i = 0; i < arity; i++) {
            s.append('a').append(i).append(", o").append(i).append(", 0, ");
        }
        s.append("y, yo, 1, 1);\n            Arrays.fill(y, yo + 1, yo + n, y[yo]);\n            return;\n        }\n");
        s.append("        int lanes = S.length();\n        int bound = S.loopBound(n);\n        int i = 0;\n")
                .append("        for (; i < bound; i += lanes) {\n");
        for (int i = 0; i < arity; i++) {
            s.append("            final ").append(masks[i] ? mask : vector).append(" x").append(i).append(" = s")
                    .append(i).append(" == 0 ? b").append(i).append(" : ")
                    .append(masks[i] ? "VectorMask.fromArray(S, a" : vector + ".fromArray(S, a").append(i)
                    .append(", o").append(i).append(" + i);\n");
        }
        String result = render(definition, dtype, s, "            ");
        s.append("            ").append(result).append(".intoArray(y, yo + i);\n        }\n");
        // the tail by the twin (the same bits): no masked access, which past the array's end allocates (see above)
        s.append("        if (i < n) {\n");
        s.append("            ScalarElementwise.").append(stem(definition.op())).append(dtypeName(dtype)).append('(');
        for (int i = 0; i < arity; i++) {
            s.append('a').append(i).append(", o").append(i).append(" + i * s").append(i).append(", s").append(i)
                    .append(", ");
        }
        s.append("y, yo + i, 1, n - i);\n");
        s.append("        }\n    }\n\n");
    }
}
