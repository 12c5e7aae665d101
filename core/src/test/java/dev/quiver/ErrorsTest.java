package dev.quiver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.quiver.spi.Backend;
import dev.quiver.spi.Primitive;
import java.lang.reflect.Proxy;
import org.junit.jupiter.api.Test;

/** The one shape of core's messages, and the wrapping of backend failures (by where they happen, not by their text). */
class ErrorsTest {
    private static final Backend FAKE = (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(),
            new Class<?>[] {Backend.class}, (proxy, method, args) -> method.getName().equals("name") ? "fake" : null);

    @Test
    void aBackendFailureIsWrappedEvenWhenItsTextAlreadyNamesTheOp() {
        RuntimeException failure = new ArithmeticException("div: integer division by zero");
        IllegalStateException wrapped = Errors.failed("div", FAKE, DType.INT32, Shape.of(3), failure);
        assertEquals("div failed on backend fake for int32 (3,): div: integer division by zero", wrapped.getMessage());
        assertSame(failure, wrapped.getCause());
    }

    @Test
    void messagesNameTheMethodTheDetailAndTheBackend() {
        assertEquals("sum: axis 2 is out of range for rank 2 (backend fake)",
                Errors.invalid("sum", FAKE, "axis 2 is out of range for rank 2").getMessage());
        assertEquals("Shape.of: axis 2 is out of range for rank 2",
                Errors.invalid("Shape.of", null, "axis 2 is out of range for rank 2").getMessage(),
                "a bare Shape has no backend to name");
        assertEquals("greaterEqual", Errors.methodName(Primitive.GREATER_EQUAL));
        assertEquals("logicalNot", Errors.methodName(Primitive.LOGICAL_NOT));
        assertEquals("sum", Errors.methodName(Primitive.SUM));
    }
}
