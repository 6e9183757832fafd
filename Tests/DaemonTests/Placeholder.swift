// placeholder so the test target compiles; replaced by real tests.
