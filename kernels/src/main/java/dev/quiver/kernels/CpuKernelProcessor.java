package dev.quiver.kernels;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.util.Map;
import java.util.Set;
import javax.annotation.processing.AbstractProcessor;
import javax.annotation.processing.RoundEnvironment;
import javax.lang.model.SourceVersion;
import javax.lang.model.element.TypeElement;

/**
 * Runs {@link CpuKernelGenerator} inside javac while backend-cpu compiles: the generated kernels are written with
 * javac's {@code Filer} (into {@code target/generated-sources/annotations}) and compiled in the same run.
 *
 * <p>Why an annotation processor and not a Maven plugin that runs a main class: exec-maven-plugin's {@code java}
 * goal resolves the test class path, which on a fresh checkout includes core's test-jar, a file that
 * {@code ./mvnw compile} never builds, so the build failed. The compiler resolves only the compile class path.
 * backend-cpu names this processor in its compiler configuration; it claims no annotations.
 *
 * <pre>{@code
 * <annotationProcessors><annotationProcessor>dev.quiver.kernels.CpuKernelProcessor</annotationProcessor></annotationProcessors>
 * }</pre>
 */
public final class CpuKernelProcessor extends AbstractProcessor {
    private boolean written;

    /** Called by javac. */
    public CpuKernelProcessor() {
    }

    @Override
    public Set<String> getSupportedAnnotationTypes() {
        return Set.of("*");
    }

    @Override
    public SourceVersion getSupportedSourceVersion() {
        return SourceVersion.latestSupported();
    }

    @Override
    public boolean process(Set<? extends TypeElement> annotations, RoundEnvironment round) {
        if (written) {
            return false;
        }
        written = true;
        for (Map.Entry<String, String> file : CpuKernelGenerator.sources().entrySet()) {
            String name = CpuKernelGenerator.PACKAGE + "." + file.getKey();
            try (Writer out = processingEnv.getFiler().createSourceFile(name).openWriter()) {
                out.write(file.getValue());
            } catch (IOException e) {
                throw new UncheckedIOException("kernels: cannot write the generated CPU kernel " + name, e);
            }
        }
        return false;
    }
}
