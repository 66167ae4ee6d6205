use cnn_bp_core::train;

fn main() {
    // A window larger than the map reaching it.
    let _ = train! {
        input: [[1, 2, 3], [4, 5, 6], [7, 8, 9]],
        layers: [conv { filter: [[1, 0], [0, 1]] }, max_pool { size: 3 }, flatten, dense { weight: [[1]] }],
        target: [1],
    };
    // A misspelt key, a missing size, a stride of 0, and a pool after flatten.
    let _ = train! {
        input: [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]],
        layers: [
            max_pool { kernel_size: 2 },
            avg_pool { stride: 1 },
            max_pool { size: 2, stride: 0 },
            avg_pool(2),
        ],
        target: [[1]],
    };
    let _ = train! {
        input: [[1, 2], [3, 4]],
        layers: [flatten, max_pool { size: 2 }, dense { weight: [[1, 1, 1, 1]] }],
        target: [1],
    };
}
