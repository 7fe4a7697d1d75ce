/**
 * Small programs a student runs to learn the stack: an MLP, a custom op, a ViT forward, one MAE step. They are run
 * from the class path (the shaded tessera-examples.jar, JShell) and by their tests, so the module exports nothing.
 */
module dev.tessera.examples {
    requires dev.tessera.mae;
}
