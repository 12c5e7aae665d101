package dev.quiver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DTypeTest {

    @Test
    void promotionFollowsTheLattice() {
        assertEquals(DType.FLOAT32, DType.promote(DType.INT32, DType.FLOAT32));
        assertEquals(DType.FLOAT32, DType.promote(DType.FLOAT32, DType.INT32));
        assertEquals(DType.FLOAT32, DType.promote(DType.INT64, DType.FLOAT32), "as in JAX");
        assertEquals(DType.FLOAT64, DType.promote(DType.FLOAT32, DType.FLOAT64));
        assertEquals(DType.INT64, DType.promote(DType.INT32, DType.INT64));
        assertEquals(DType.INT32, DType.promote(DType.BOOL, DType.INT32));
        assertEquals(DType.BOOL, DType.promote(DType.BOOL, DType.BOOL));
        for (DType a : DType.values()) {
            assertEquals(a, DType.promote(a, a));
            for (DType b : DType.values()) {
                assertEquals(DType.promote(a, b), DType.promote(b, a), "symmetric for " + a + ", " + b);
                for (DType c : DType.values()) {
                    assertEquals(DType.promote(DType.promote(a, b), c), DType.promote(a, DType.promote(b, c)),
                            "associative");
                }
            }
        }
    }

    @Test
    void properties() {
        assertTrue(DType.FLOAT32.isFloating());
        assertTrue(DType.FLOAT64.isFloating());
        assertFalse(DType.INT32.isFloating());
        assertTrue(DType.INT64.isIntegral());
        assertFalse(DType.BOOL.isIntegral());
        assertFalse(DType.BOOL.isFloating());
        assertEquals(4, DType.FLOAT32.byteSize());
        assertEquals(8, DType.FLOAT64.byteSize());
        assertEquals(4, DType.INT32.byteSize());
        assertEquals(8, DType.INT64.byteSize());
        assertEquals(1, DType.BOOL.byteSize());
    }

    @Test
    void namesRoundTrip() {
        for (DType type : DType.values()) {
            assertEquals(type, DType.parse(type.toString()));
            assertEquals(type, DType.parse(type.name()));
        }
        assertEquals("float32", DType.FLOAT32.toString());
        assertEquals("int64", DType.INT64.toString());
        assertEquals("bool", DType.BOOL.toString());
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> DType.parse("float16"));
        assertTrue(error.getMessage().contains("float16"));
    }
}
