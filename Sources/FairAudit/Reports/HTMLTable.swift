/// An HTML table with a caption, `<th scope="col">` headers and a
/// `<th scope="row">` first cell per row, so screen readers announce each
/// value with its row and column.
public struct HTMLTable: Sendable {
    /// One cell: text (escaped), a CSS class, a tooltip, or trusted markup.
    public struct Cell: Sendable, ExpressibleByStringLiteral {
        /// The cell's content as markup.
        public var html: String
        /// Its CSS class (`n` right-aligns a number).
        public var cls: String
        /// Its tooltip.
        public var tip: String?
        /// A text cell.
        public init(_ text: String, cls: String = "", tip: String? = nil) {
            html = Markup.escape(text)
            self.cls = cls
            self.tip = tip
        }
        /// A cell of markup fairaudit made.
        public init(markup: String, cls: String = "") {
            html = markup
            self.cls = cls
        }
        /// A numeric cell, right-aligned.
        public static func number(_ text: String, cls: String = "", tip: String? = nil) -> Cell {
            Cell(text, cls: cls.isEmpty ? "n" : "n " + cls, tip: tip)
        }
        /// A text cell from a literal.
        public init(stringLiteral value: String) { self.init(value) }
    }

    /// The caption, read before the table.
    public var caption: String
    /// The column headers.
    public var headers: [String]
    /// The rows, each with a CSS class for the whole row.
    public var rows: [(cls: String, cells: [Cell])] = []
    /// The table's `id` and class, if any.
    public var id: String, cls: String

    /// Creates an empty table.
    public init(caption: String, headers: [String], id: String = "", cls: String = "") {
        self.caption = caption
        self.headers = headers
        self.id = id
        self.cls = cls
    }

    /// Appends a row; `cls` styles the whole row.
    public mutating func add(_ cells: [Cell], cls: String = "") { rows.append((cls, cells)) }

    /// The markup.
    public var html: String {
        var s = "<table" + (id.isEmpty ? "" : " id=\"\(id)\"") + (cls.isEmpty ? "" : " class=\"\(cls)\"") + ">"
        if !caption.isEmpty { s += "<caption>\(Markup.escape(caption))</caption>" }
        s +=
            "<thead><tr>" + headers.map { "<th scope=\"col\">\(Markup.escape($0))</th>" }.joined()
            + "</tr></thead><tbody>\n"
        for row in rows {
            s += row.cls.isEmpty ? "<tr>" : "<tr class=\"\(row.cls)\">"
            for (i, c) in row.cells.enumerated() {
                let tag = i == 0 ? "th scope=\"row\"" : "td"
                let attrs =
                    (c.cls.isEmpty ? "" : " class=\"\(c.cls)\"")
                    + (c.tip.map { " title=\"\(Markup.escape($0))\"" } ?? "")
                s += "<\(tag)\(attrs)>\(c.html)</\(i == 0 ? "th" : "td")>"
            }
            s += "</tr>\n"
        }
        return s + "</tbody></table>"
    }
}
