/**
 * The training library: data, the trainer, evaluation, pictures, weight interchange and the speed harness.
 * A program that trains or evaluates a model depends on this module, not on the command line.
 */
module dev.tessera.train {
    requires transitive dev.tessera.mae;
    requires transitive dev.tessera.cae;
    // Run files (config.json, metrics.jsonl, results) are written and read with Jackson; ModelSpec and the
    // interop readers take JsonNode in their API.
    requires transitive com.fasterxml.jackson.databind;
    // Pictures (viz, the reconstruction figure, the loss plot) need java.desktop; a headless runtime without it
    // still trains, so the module is optional at run time.
    requires static java.desktop;

    exports dev.tessera.data;
    exports dev.tessera.eval;
    exports dev.tessera.interop;
    exports dev.tessera.speed;
    exports dev.tessera.train;
    exports dev.tessera.viz;

    // Jackson binds run files to these packages' records by reflection.
    opens dev.tessera.train to com.fasterxml.jackson.databind;
    opens dev.tessera.eval to com.fasterxml.jackson.databind;
    opens dev.tessera.speed to com.fasterxml.jackson.databind;
}
