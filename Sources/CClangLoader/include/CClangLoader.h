// The loader defines libclang's functions itself (see loader.c); nothing to declare.
