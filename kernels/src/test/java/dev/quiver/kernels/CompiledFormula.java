package dev.quiver.kernels;

import dev.quiver.DType;
import dev.quiver.spi.Expr;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.URI;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.tools.FileObject;
import javax.tools.ForwardingJavaFileManager;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileManager;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

/**
 * Test helper: compiles a formula's {@link JavaScalarRenderer} rendering in memory and returns it as a plain Java
 * function, fast enough for sweeps over millions (or all 2^32 float32) inputs. Because it is the rendering the
 * build generates, a formula measured here is the formula the CPU backend runs.
 *
 * <pre>{@code
 * CompiledFormula.Float32Unary exp = CompiledFormula.float32Unary(Transcendentals.exp(Expr.input(0), DType.FLOAT32));
 * float y = exp.apply(1f);
 * }</pre>
 */
public final class CompiledFormula {
    /** A float32 formula of one input. */
    public interface Float32Unary {
        float apply(float x);
    }

    /** A float64 formula of one input. */
    public interface Float64Unary {
        double apply(double x);
    }

    /** A float32 formula of two inputs. */
    public interface Float32Binary {
        float apply(float a, float b);
    }

    /** A float64 formula of two inputs. */
    public interface Float64Binary {
        double apply(double a, double b);
    }

    /** An int32 formula of two inputs. */
    public interface Int32Binary {
        int apply(int a, int b);
    }

    /** An int64 formula of two inputs. */
    public interface Int64Binary {
        long apply(long a, long b);
    }

    private CompiledFormula() {
    }

    public static Float32Unary float32Unary(Expr formula) {
        return compile(Float32Unary.class, formula, DType.FLOAT32, 1, "float apply(float x0)");
    }

    public static Float64Unary float64Unary(Expr formula) {
        return compile(Float64Unary.class, formula, DType.FLOAT64, 1, "double apply(double x0)");
    }

    public static Float32Binary float32Binary(Expr formula) {
        return compile(Float32Binary.class, formula, DType.FLOAT32, 2, "float apply(float x0, float x1)");
    }

    public static Float64Binary float64Binary(Expr formula) {
        return compile(Float64Binary.class, formula, DType.FLOAT64, 2, "double apply(double x0, double x1)");
    }

    public static Int32Binary int32Binary(Expr formula) {
        return compile(Int32Binary.class, formula, DType.INT32, 2, "int apply(int x0, int x1)");
    }

    public static Int64Binary int64Binary(Expr formula) {
        return compile(Int64Binary.class, formula, DType.INT64, 2, "long apply(long x0, long x1)");
    }

    private static int counter;

    private static synchronized <T> T compile(Class<T> type, Expr formula, DType dtype, int arity, String signature) {
        String className = "Formula" + (counter++);
        String method = JavaScalarRenderer.method("f", formula, dtype, arity);
        String args = arity == 1 ? "x0" : "x0, x1";
        String source = "package dev.quiver.kernels;\n"
                + "public final class " + className + " implements " + type.getCanonicalName() + " {\n"
                + method + "\n    @Override public " + signature + " { return f(" + args + "); }\n}\n";
        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        Map<String, ByteArrayOutputStream> classes = new HashMap<>();
        StandardJavaFileManager standard = compiler.getStandardFileManager(null, null, null);
        JavaFileManager manager = new ForwardingJavaFileManager<>(standard) {
            @Override
            public JavaFileObject getJavaFileForOutput(Location location, String name, JavaFileObject.Kind kind,
                                                       FileObject sibling) {
                return new SimpleJavaFileObject(URI.create("mem:///" + name + ".class"), kind) {
                    @Override
                    public OutputStream openOutputStream() {
                        return classes.computeIfAbsent(name, n -> new ByteArrayOutputStream());
                    }
                };
            }
        };
        JavaFileObject unit = new SimpleJavaFileObject(URI.create("string:///" + className + ".java"),
                JavaFileObject.Kind.SOURCE) {
            @Override
            public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                return source;
            }
        };
        java.io.StringWriter log = new java.io.StringWriter();
        String classPath = System.getProperty("java.class.path");
        boolean ok = compiler.getTask(log, manager, null, List.of("-classpath", classPath), null, List.of(unit)).call();
        if (!ok) {
            throw new IllegalStateException("formula did not compile:\n" + log + "\n" + source);
        }
        ClassLoader loader = new ClassLoader(CompiledFormula.class.getClassLoader()) {
            @Override
            protected Class<?> findClass(String name) throws ClassNotFoundException {
                ByteArrayOutputStream bytes = classes.get(name);
                if (bytes == null) {
                    throw new ClassNotFoundException(name);
                }
                byte[] b = bytes.toByteArray();
                return defineClass(name, b, 0, b.length);
            }
        };
        try {
            return type.cast(loader.loadClass("dev.quiver.kernels." + className).getDeclaredConstructor().newInstance());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }
}
