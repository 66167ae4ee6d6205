//! Examples and end-to-end tests of cnn-bp; nothing to use here.
