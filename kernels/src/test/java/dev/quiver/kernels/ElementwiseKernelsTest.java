package dev.quiver.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.DType;
import dev.quiver.spi.Primitive;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ElementwiseKernelsTest {

    /** Core allows exactly these (op, dtype) pairs; each must be a row of the table, so no backend call can miss. */
    @Test
    void everyElementwisePrimitiveCoreCanIssueHasAFormula() {
        for (Primitive op : Primitive.values()) {
            Primitive.Kind kind = op.kind();
            if (kind != Primitive.Kind.UNARY && kind != Primitive.Kind.BINARY && kind != Primitive.Kind.WHERE) {
                continue;
            }
            for (DType dtype : DType.values()) {
                boolean logical = op == Primitive.LOGICAL_AND || op == Primitive.LOGICAL_OR
                        || op == Primitive.LOGICAL_NOT;
                boolean allowed = logical ? dtype == DType.BOOL
                        : (dtype != DType.BOOL || op.producesBool() || op == Primitive.WHERE)
                        && (!op.requiresFloating() || dtype.isFloating());
                if (allowed) {
                    assertTrue(ElementwiseKernels.supports(op, dtype), op + " on " + dtype + " has no formula");
                }
            }
        }
    }

    @Test
    void aSourceHasAContiguousAndEveryStridedKernel() {
        KernelSource source = ElementwiseKernels.source(Primitive.ADD, List.of(DType.INT32, DType.INT32), DType.INT32,
                Map.of());
        assertEquals("add_i32", source.name());
        assertTrue(source.body().contains("KERNEL void add_i32_c("));
        for (int rank = 1; rank <= ElementwiseKernels.MAX_STRIDED_RANK; rank++) {
            assertTrue(source.body().contains("KERNEL void add_i32_s" + rank + "("), "rank " + rank);
        }
        // int32 addition goes through the unsigned type so overflow wraps instead of being undefined
        assertTrue(source.body().contains("(q_i32) ((q_u32) x0 + (q_u32) x1)"), source.body());
        assertFalse(source.body().contains("status"));
    }

    @Test
    void integerDivisionReportsThroughTheStatusWord() {
        KernelSource source = ElementwiseKernels.source(Primitive.DIV, List.of(DType.INT64, DType.INT64), DType.INT64,
                Map.of());
        assertTrue(source.body().contains("GLOBAL q_i32* status"));
        assertTrue(ElementwiseKernels.usesStatus(Primitive.DIV, DType.INT64));
        assertFalse(ElementwiseKernels.usesStatus(Primitive.DIV, DType.FLOAT32));
    }

    @Test
    void castsSaturateAndMapNanToZeroLikeJava() {
        String expression = ElementwiseKernels.castExpression(DType.FLOAT32, DType.INT32);
        assertTrue(expression.contains("x0 != x0"), expression);
        assertTrue(expression.contains("2147483648.0f"), expression);
        assertEquals("(q_u8) (x0 != 0)", ElementwiseKernels.castExpression(DType.FLOAT64, DType.BOOL));
    }

    @Test
    void definesWithSpacesAreRejected() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> new KernelSource("bad", "", Map.of("T", "unsigned int")));
        assertTrue(error.getMessage().contains("bad"), error.getMessage());
    }
}
