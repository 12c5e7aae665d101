package dev.quiver.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.Locale;
import org.junit.jupiter.api.Test;

class PrimitiveTest {

    @Test
    void opNamesAreComputedOnceNotPerCall() {
        for (Primitive op : Primitive.values()) {
            assertEquals(op.name().toLowerCase(Locale.ROOT), op.opName());
            // backends ask for the name on every call (buffer checks): no string may be built per op
            assertSame(op.opName(), op.opName(), op.name());
        }
        assertEquals("greater_equal", Primitive.GREATER_EQUAL.opName());
    }
}
