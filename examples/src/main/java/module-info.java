/** Small programs a student runs to learn the stack: an MLP, a custom op, a ViT forward, one MAE step. */
module dev.tessera.examples {
    requires dev.tessera.mae;

    exports dev.tessera.examples;
}
