//! A byte reader for the structured decoders: every read succeeds, and an
//! exhausted input reads as zeros, so any byte string is a valid program.

/// Reads small numbers and choices from fuzzer bytes.
pub struct Bytes<'a> {
    data: &'a [u8],
    pos: usize,
    wild: bool,
}

impl<'a> Bytes<'a> {
    /// A reader over `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Bytes { data, pos: 0, wild: true }
    }

    /// True once every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    /// The bytes not read yet.
    pub fn rest(&self) -> &'a [u8] {
        &self.data[self.pos.min(self.data.len())..]
    }

    /// One byte, or 0 when exhausted.
    pub fn u8(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }

    /// Two bytes, little-endian.
    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.u8(), self.u8()])
    }

    /// Four bytes, little-endian.
    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }

    /// A number below `n` (which must be at least 1).
    pub fn below(&mut self, n: usize) -> usize {
        if n <= 256 { usize::from(self.u8()) % n } else { usize::from(self.u16()) % n }
    }

    /// A coin flip.
    pub fn bool(&mut self) -> bool {
        self.u8() & 1 == 1
    }

    /// One of `options` (which must not be empty).
    pub fn pick<T: Copy>(&mut self, options: &[T]) -> T {
        options[self.below(options.len())]
    }

    /// With `false`, [`Bytes::mostly`] never picks a rare value (it still reads the same bytes).
    pub fn set_wild(&mut self, wild: bool) {
        self.wild = wild;
    }

    /// Mostly (7 times in 8) one of `common`, else one of `rare` (neither may be empty):
    /// plausible values first, extremes and nonsense now and then (never, unless wild).
    pub fn mostly<T: Copy>(&mut self, common: &[T], rare: &[T]) -> T {
        let rare_now = self.u8() >= 0xE0 && self.wild;
        if rare_now { self.pick(rare) } else { self.pick(common) }
    }

    /// One of `items` by index, or `None` if there are none.
    pub fn choose<'b, T>(&mut self, items: &'b [T]) -> Option<&'b T> {
        if items.is_empty() { None } else { items.get(self.below(items.len())) }
    }
}
