package dev.quiver;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.spi.Primitive;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Forward mode covers what it promises (the error for what it does not cover is in the conformance suite, which has
 * a backend to make tensors on: TapeFeaturesConformance.aPrimitiveWithoutAJvpRuleIsNamed).
 */
class JvpRulesTest {

    /**
     * The primitives forward mode promises (every one of Quiver's primitives at the time of writing); the
     * conformance suite's jvpMatchesTheReverseModeForEveryCoveredPrimitive checks each against the reverse mode.
     * A primitive added later without a JVP is not in this list: it gets the error below.
     */
    private static final EnumSet<Primitive> PROMISED = EnumSet.of(Primitive.NEG, Primitive.ABS, Primitive.SIGN,
            Primitive.EXP, Primitive.LOG, Primitive.SQRT, Primitive.SIN, Primitive.COS, Primitive.TANH, Primitive.ERF,
            Primitive.LOG1P, Primitive.EXPM1, Primitive.SOFTPLUS, Primitive.ADD, Primitive.SUB, Primitive.MUL,
            Primitive.DIV, Primitive.POW, Primitive.MAXIMUM, Primitive.MINIMUM, Primitive.WHERE, Primitive.SUM,
            Primitive.MAX, Primitive.MIN, Primitive.MATMUL, Primitive.CAST, Primitive.COPY, Primitive.RESHAPE,
            Primitive.PERMUTE, Primitive.EXPAND, Primitive.SLICE, Primitive.PAD, Primitive.CONCAT,
            Primitive.REVERSE, Primitive.GATHER, Primitive.SCATTER_ADD);

    @Test
    void everyPromisedPrimitiveHasAJvp() {
        List<String> missing = new ArrayList<>();
        for (Primitive op : PROMISED) {
            if (!JvpRules.covers(op)) {
                missing.add(op.opName());
            }
        }
        assertTrue(missing.isEmpty(), "promised primitives without a JVP: " + missing);
    }
}
