package dev.quiver;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.quiver.spi.Backend;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A backend call that bypasses {@link Tracer#device} would run while a step is traced but not be recorded, and its
 * replay would silently skip it. This test reads core's sources: every call of a Backend method that does work must
 * go through the door ({@code x.device()} or {@code Tracer.device(backend)}); only the tracer itself, the compiled
 * program, the SPI's slow twins and the replay/recording code of compiled steps call backends directly.
 */
class TracerDoorTest {
    private static final Set<String> ALLOWED = Set.of("Tracer.java", "Call.java", "Program.java",
            "TrainingStep.java", "CompiledFunction.java");

    @Test
    void everyBackendCallInCoreGoesThroughTheTracersDoor() throws IOException {
        Set<String> working = Arrays.stream(Backend.class.getMethods()).map(Method::getName)
                .filter(name -> !Set.of("name", "deviceDescription", "transfers", "close", "synchronize",
                        "runsFusedKernels", "download").contains(name))
                .collect(Collectors.toSet());
        Pattern direct = Pattern.compile("(?:\\bbackend\\(\\)|(?<![.\\w])backend)\\.(\\w+)\\(");
        List<String> bypasses = new ArrayList<>();
        Path sources = Path.of("src/main/java/dev/quiver");
        try (Stream<Path> files = Files.list(sources)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                if (ALLOWED.contains(file.getFileName().toString())) {
                    continue;
                }
                List<String> lines = Files.readAllLines(file);
                for (int i = 0; i < lines.size(); i++) {
                    String line = lines.get(i).strip();
                    if (line.startsWith("*") || line.startsWith("//")) {
                        continue;
                    }
                    Matcher matcher = direct.matcher(line);
                    while (matcher.find()) {
                        if (working.contains(matcher.group(1))) {
                            bypasses.add(file.getFileName() + ":" + (i + 1) + ": " + line);
                        }
                    }
                }
            }
        }
        assertEquals(List.of(), bypasses, "backend calls that a trace would not record");
    }
}
