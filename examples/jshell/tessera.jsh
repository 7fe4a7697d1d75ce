// Tessera in JShell: a CPU backend and short names for the classes a first session needs.
// Start it from the repository root (after ./mvnw -q -o -pl examples -am package -DskipTests):
//   /usr/lib/jvm/temurin-25-jdk-amd64/bin/jshell --class-path examples/target/tessera-examples.jar \
//       --add-modules jdk.incubator.vector -R--add-modules=jdk.incubator.vector --startup DEFAULT --startup examples/jshell/tessera.jsh
import dev.tessera.engine.backend.cpu.CpuBackend;
import dev.tessera.engine.nn.*;
import dev.tessera.engine.ops.Loss;
import dev.tessera.engine.optim.*;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.*;
import dev.tessera.vit.*;
import dev.tessera.mae.*;

var be = new CpuBackend(2);
var rng = new Rng(0);

/** A tensor from a few values, e.g. t(new float[] {1, 2, 3, 4}, 2, 2). */
Tensor t(float[] values, int... shape) { return Tensor.of(be, values, shape); }

/** Prints a tensor's shape and values (row-major). */
void show(Tensor x) { System.out.println(x + " " + java.util.Arrays.toString(x.isInt() ? null : x.toArray())); }
