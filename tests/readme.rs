//! README.md's network example is this file's `network_example`, run here, and the same text as
//! the README's: the test fails when they drift apart.

/// README.md's network example.
fn network_example() {
    // README begin
    let d = cnn_bp_core::train! {
        input: [[[1, 0, 2], [0, 1, 0], [2, 0, 1]],             // X: C×H×W; 2-D is one channel
                [[0, 1, 0], [1, 0, 1], [0, 1, 0]]],
        layers: [
            conv { filter: [[[[1, 0], [0, 1]], [[1, 1], [0, 0]]],  // [F][C][KH][KW], as PyTorch's
                             [[[0, 1], [1, 0]], [[0, 0], [1, 1]]]], // weight; 2-D: 1 filter, 1 channel
                   bias: [0.5, -0.5],                        // one per filter; absent: no bias
                   stride: 1, padding: 0, dilation: 1,       // each a number or (rows, columns)
                   kernel: correlation },                    // or convolution (each kernel rotated)
            relu,                                            // relu | leaky_relu(α) | sigmoid | tanh
            conv { filter: [[[[1]], [[1]]]] },               // one 1×1 filter on 2 channels
        ],
        target: [[1, 0], [0, 1]],                            // the output's shape, 2-D or C×H×W
        loss: half_sse,                                      // half_sse | sse | mse
        lr: 0.1,                                             // optional: without it, one pass, no update
        steps: 2,                                            // absent or 1 without `lr`
    };
    let s = &d.steps()[0];
    assert_eq!(s.loss(), 34.0);
    assert_eq!(s.named_grads()[1], ("0.bias".to_owned(), vec![2], vec![16.0, 16.0]));
    assert_eq!(s.layer_outputs()[2], (vec![1, 2, 2], vec![4.0, 5.0, 5.0, 4.0]));
    assert_eq!(s.input_grads()[0].0, [2, 3, 3]); // ∂L/∂X of the input, [C, H, W]
    println!("{d}");
    // README end
}

/// README.md's classifier example.
fn classifier_example() {
    // README classifier begin
    let d = cnn_bp_core::train! {
        input: [[1, 0, 2, -1, 1], [0, 1, -1, 2, 0], [2, -1, 1, 0, 1], [-1, 2, 0, 1, -1], [1, 0, 1, -1, 2]],
        layers: [
            conv { filter: [[0.5, 0, -0.5], [0, 1, 0], [-0.5, 0, 0.5]], bias: 0 },
            relu,
            max_pool { size: 2, stride: 1 },       // stride defaults to size; (rows, columns) for either
            flatten,                               // [C, H, W] in row-major order, as PyTorch
            dense { weight: [[1, -1, 0, 0.5], [0, 0.5, 1, -1], [-1, 0, 0.5, 1]], bias: [0, 0, 0] },
        ],
        target: [0, 1, 0],                         // a probability vector, or a class index: `target: 1`
        loss: softmax_cross_entropy,
        lr: 0.5,
        steps: 2,
    };
    let s = &d.steps()[0];
    assert_eq!(s.layer_outputs()[3], (vec![4], vec![0.0, 2.5, 2.5, 1.5])); // vectors are [N]
    assert_eq!(s.named_grads()[2].0, "4.weight"); // [out, in], as nn.Linear's
    assert!(d.loss_after() < s.loss());
    // README classifier end
}

#[test]
fn the_readme_network_example_runs() {
    network_example();
}

#[test]
fn the_readme_classifier_example_runs() {
    classifier_example();
}

/// The lines of `source` between `// {marker} begin` and `// {marker} end`, unindented.
fn between<'a>(source: &'a str, marker: &str) -> Vec<&'a str> {
    let begin_marker = format!("// {marker} begin\n");
    let begin = source.find(&begin_marker).expect("a begin marker") + begin_marker.len();
    let end = source.find(&format!("    // {marker} end")).expect("an end marker");
    source[begin..end].lines().map(|l| l.strip_prefix("    ").unwrap_or(l)).collect()
}

#[test]
fn the_readme_shows_the_classifier_example_as_it_is_here() {
    let readme = include_str!("../README.md");
    let block = readme
        .split("<!-- The example below is tests/readme.rs's `classifier_example`, which checks they agree. -->\n```rust\n")
        .nth(1)
        .and_then(|rest| rest.split("\n```").next())
        .expect("the README's classifier example");
    assert_eq!(
        block.lines().collect::<Vec<_>>(),
        between(include_str!("readme.rs"), "README classifier")
    );
}

#[test]
fn the_readme_shows_the_network_example_as_it_is_here() {
    let source = include_str!("readme.rs");
    let begin =
        source.find("// README begin\n").expect("a begin marker") + "// README begin\n".len();
    let end = source.find("    // README end").expect("an end marker");
    let here: Vec<&str> =
        source[begin..end].lines().map(|l| l.strip_prefix("    ").unwrap_or(l)).collect();
    let readme = include_str!("../README.md");
    let block = readme
        .split("<!-- The example below is tests/readme.rs's `network_example`, which checks they agree. -->\n```rust\n")
        .nth(1)
        .and_then(|rest| rest.split("\n```").next())
        .expect("the README's network example");
    assert_eq!(block.lines().collect::<Vec<_>>(), here);
}
