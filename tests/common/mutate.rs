//! Deterministic mutations of fuzz seeds, for the short fuzz runs `tests/fuzz_seeds.rs` makes on
//! stable Rust (the coverage-guided runs are `cargo xtask fuzz`'s).

/// xorshift64: mutations that are the same on every run, so a failure repeats.
pub struct Rng(pub u64);

impl Rng {
    fn next(&mut self) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 as usize
    }

    pub fn mutate(&mut self, seed: &[u8]) -> Vec<u8> {
        let mut v = seed.to_vec();
        for _ in 0..1 + self.next() % 4 {
            let at = if v.is_empty() { 0 } else { self.next() % v.len() };
            match self.next() % 6 {
                0 if !v.is_empty() => v[at] ^= 1 << (self.next() % 8),
                1 if !v.is_empty() => v[at] = [0, 0xff, b'"', b'{', b'-', b'9', 0xc0, 0x80][self.next() % 8],
                2 => v.insert(at, self.next() as u8),
                3 if !v.is_empty() => drop(v.remove(at)),
                4 => v.truncate(at),
                _ if !v.is_empty() => {
                    let end = (at + 1 + self.next() % 16).min(v.len());
                    let chunk = v[at..end].to_vec();
                    v.splice(at..at, chunk);
                }
                _ => v.push(self.next() as u8),
            }
        }
        v
    }
}
