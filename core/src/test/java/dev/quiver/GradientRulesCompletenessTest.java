package dev.quiver;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.spi.Primitive;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every primitive has exactly one of: a gradient rule, or a declaration that it is not differentiable. */
class GradientRulesCompletenessTest {

    @Test
    void everyPrimitiveHasARuleOrIsDeclaredNotDifferentiable() {
        List<String> missing = new ArrayList<>();
        List<String> both = new ArrayList<>();
        for (Primitive op : Primitive.values()) {
            boolean rule = GradientRules.hasRule(op);
            boolean declared = GradientRules.NOT_DIFFERENTIABLE.contains(op);
            if (!rule && !declared) {
                missing.add(op.opName());
            }
            if (rule && declared) {
                both.add(op.opName());
            }
        }
        assertTrue(missing.isEmpty(), "primitives with neither a gradient rule nor a NOT_DIFFERENTIABLE entry: "
                + missing);
        assertTrue(both.isEmpty(), "primitives with a rule that are also declared not differentiable: " + both);
    }

    @Test
    void boolResultsAreNotDifferentiable() {
        for (Primitive op : Primitive.values()) {
            if (op.producesBool()) {
                assertTrue(GradientRules.NOT_DIFFERENTIABLE.contains(op), op + " produces bool: no gradient flows");
            }
        }
    }
}
