/** The Vision Transformer: patch embedding, blocks, the shared encoder pass and the classifier. */
module dev.tessera.vit {
    requires transitive dev.tessera.engine;

    exports dev.tessera.vit;
}
