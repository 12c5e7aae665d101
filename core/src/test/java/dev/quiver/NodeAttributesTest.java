package dev.quiver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.spi.Primitive;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The typed attributes of recorded nodes: a sealed set of records that the gradient rules pattern-match. */
class NodeAttributesTest {

    @Test
    void attributesAreASealedSetOfRecords() {
        assertTrue(Node.Attributes.class.isSealed());
        Set<String> kinds = Arrays.stream(Node.Attributes.class.getPermittedSubclasses())
                .peek(kind -> assertTrue(kind.isRecord(), kind + " is a record"))
                .map(Class::getSimpleName).collect(Collectors.toSet());
        assertEquals(Set.of("SourceShape", "Permutation", "SliceBounds", "ReduceAxes", "ConcatAxis", "ReversedAxes",
                "IndexAxis", "CustomBackward"), kinds);
    }

    @Test
    void aRuleGivenTheWrongKindNamesTheOpAndTheKindItExpects() {
        // a recording bug must surface as a message naming both, not as a ClassCastException from a cast
        Node wrong = new Node(Primitive.RESHAPE, new Tensor[1], null, new Node.ConcatAxis(0));
        IllegalStateException error = assertThrows(IllegalStateException.class,
                () -> GradientRules.backward(wrong, null, new boolean[] {true}));
        assertTrue(error.getMessage().contains("reshape"), error.getMessage());
        assertTrue(error.getMessage().contains("SourceShape"), error.getMessage());
        assertTrue(error.getMessage().contains("ConcatAxis[axis=0]"), error.getMessage());

        Node missing = new Node(Primitive.SUM, new Tensor[1], null, null);
        error = assertThrows(IllegalStateException.class,
                () -> GradientRules.backward(missing, null, new boolean[] {true}));
        assertTrue(error.getMessage().contains("sum expects ReduceAxes"), error.getMessage());
    }
}
