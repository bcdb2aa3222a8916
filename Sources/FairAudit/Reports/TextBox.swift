/// The box a label of an SVG chart covers, and a conservative estimate of
/// how wide a string is drawn, so charts can lay labels out without a
/// browser measuring them.
public struct TextBox: Sendable, Equatable {
    /// Left, top, width and height in SVG user units.
    public var x: Double, y: Double, width: Double, height: Double
    /// The text drawn in the box.
    public var text: String

    /// Creates a box.
    public init(x: Double, y: Double, width: Double, height: Double, text: String) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
        self.text = text
    }

    /// The box of `text` drawn at baseline point `(x, y)` with `anchor`
    /// (`start`, `middle`, `end`) in `fontSize`; `vertical` rotates it by
    /// −90° about `(x, y)` (reading bottom to top, as `rotate(-90 x y)`).
    public init(
        text: String, x: Double, y: Double, fontSize: Double, anchor: String, vertical: Bool = false, bold: Bool = false
    ) {
        let w = TextMetrics.width(text, fontSize: fontSize, bold: bold)
        let start: Double = anchor == "middle" ? -w / 2 : anchor == "end" ? -w : 0
        let ascent = TextMetrics.ascent * fontSize
        let descent = TextMetrics.descent * fontSize
        if vertical {
            // Along the text becomes up the page; the baseline's top side faces left.
            self.init(x: x - ascent, y: y - start - w, width: ascent + descent, height: w, text: text)
        } else {
            self.init(x: x + start, y: y - ascent, width: w, height: ascent + descent, text: text)
        }
    }

    /// True when the two boxes share any area (touching edges do not count).
    public func overlaps(_ other: TextBox) -> Bool {
        x < other.x + other.width && other.x < x + width && y < other.y + other.height && other.y < y + height
    }
}

/// Conservative text widths for proportional sans-serif fonts: each glyph's
/// advance is rounded up to the widest of Arial, Helvetica, Liberation Sans
/// and DejaVu Sans (the fonts a browser picks for `sans-serif`), so a label
/// that fits by this estimate fits on the page.
public enum TextMetrics {
    /// Height above the baseline, as a share of the font size.
    public static let ascent = 0.95
    /// Depth below the baseline, as a share of the font size.
    public static let descent = 0.25

    /// Advance of `ch` as a share of the font size.
    static func advance(_ ch: Character) -> Double {
        guard let a = ch.unicodeScalars.first, ch.unicodeScalars.count == 1, a.isASCII else { return 1.0 }
        switch ch {
        case "W", "M", "m", "w", "@", "%": return 1.0
        case "i", "l", "j", "I", "!", ".", ",", ":", ";", "'", "|", "(", ")", "[", "]", "f", "t", "r", "/", "\\":
            return 0.45
        case " ": return 0.35
        case "A"..."Z": return 0.8
        case "0"..."9", "a"..."z": return 0.65
        default: return 0.8
        }
    }

    /// Bold glyphs are up to this much wider (DejaVu Sans Bold against Book).
    public static let boldFactor = 1.12

    /// The drawn width of `s` in `fontSize`.
    public static func width(_ s: String, fontSize: Double, bold: Bool = false) -> Double {
        s.reduce(0) { $0 + advance($1) } * fontSize * (bold ? boldFactor : 1)
    }

    /// `s`, or as much of it as fits in `maxWidth` with `…` in place of the
    /// rest: at the end by default, in the middle with `middle` (for layer
    /// names, whose start and end both say something).
    public static func fit(
        _ s: String, maxWidth: Double, fontSize: Double, middle: Bool = false, bold: Bool = false
    ) -> String {
        if bold { return fit(s, maxWidth: maxWidth / boldFactor, fontSize: fontSize, middle: middle) }
        if width(s, fontSize: fontSize) <= maxWidth { return s }
        let budget = maxWidth - advance("…") * fontSize
        guard budget > 0 else { return "" }
        let chars = Array(s)
        if !middle {
            var used = 0.0
            var n = 0
            while n < chars.count, used + advance(chars[n]) * fontSize <= budget {
                used += advance(chars[n]) * fontSize
                n += 1
            }
            return String(chars[..<n]) + "…"
        }
        var head = 0
        var tail = 0
        var used = 0.0
        while head + tail < chars.count {
            let takeHead = head <= tail
            let ch = takeHead ? chars[head] : chars[chars.count - 1 - tail]
            let w = advance(ch) * fontSize
            if used + w > budget { break }
            used += w
            if takeHead { head += 1 } else { tail += 1 }
        }
        return String(chars[..<head]) + "…" + String(chars[(chars.count - tail)...])
    }
}
