import FairAudit
import Foundation

/// A restricted unpickler for the `data.pkl` of a `torch.save` checkpoint.
///
/// It interprets only the opcodes a state dict needs and resolves only the
/// globals `torch.load(weights_only=True)` allows for tensors
/// (`PickleGlobal`); it never imports a module, calls a function or builds
/// an object. `REDUCE` is applied only to those globals, and only to build
/// an `OrderedDict`, a tensor or a `torch.Size`. Every other global, and
/// every opcode that constructs objects (`INST`, `OBJ`, `NEWOBJ`, …), is
/// refused by name. Containers live in an arena (`PickleArena`) so values
/// stay flat; the stack, memo and input are bounded by the pickle's length.
public struct Unpickler {
    /// The pickle's bytes.
    let bytes: [UInt8]
    /// The checkpoint's name in errors.
    let file: String
    /// Bytes of the storage member named by a key, or nil when there is none.
    let storageBytes: (String) -> Int?
    var pos = 0
    var stack: [PickleValue] = []
    var marks: [Int] = []
    var memo: [Int: PickleValue] = [:]
    /// The containers built so far.
    public internal(set) var arena = PickleArena()

    /// An unpickler of `bytes`; `storageBytes(key)` gives the size of the
    /// storage member `data/<key>` (nil when the archive lacks it).
    public init(_ bytes: [UInt8], file: String, storageBytes: @escaping (String) -> Int?) {
        self.bytes = bytes
        self.file = file
        self.storageBytes = storageBytes
    }

    func bad(_ reason: String, at offset: Int? = nil) -> PyTorchError {
        .badPickle(file: file, offset: offset ?? pos, reason: reason)
    }

    /// Runs the pickle to its `STOP` and returns the value it leaves.
    public mutating func load() throws -> PickleValue {
        while true {
            let at = pos
            let op = try byte()
            switch op {
            case 0x80:
                let p = try byte()
                guard p >= 2, p <= 5 else { throw bad("pickle protocol \(p) is not one torch.save writes", at: at) }
            case 0x95: _ = try take(8)  // FRAME: a length hint
            case 0x2E:  // STOP
                guard let v = stack.popLast(), stack.isEmpty, marks.isEmpty else {
                    throw bad("STOP with \(stack.count) values and \(marks.count) marks left", at: at)
                }
                return v
            case 0x28: marks.append(stack.count)  // MARK
            case 0x29: push(.tuple(newTuple([])))  // EMPTY_TUPLE
            case 0x7D: push(.dict(newDict()))  // EMPTY_DICT
            case 0x5D, 0x8F: push(.list(newList([])))  // EMPTY_LIST, EMPTY_SET
            case 0x74, 0x6C, 0x91:  // TUPLE, LIST, FROZENSET
                let items = try popMark()
                push(op == 0x74 ? .tuple(newTuple(items)) : .list(newList(items)))
            case 0x85, 0x86, 0x87:  // TUPLE1-3
                let n = Int(op - 0x84)
                guard stack.count - (marks.last ?? 0) >= n else {
                    throw bad("TUPLE\(n) on a stack of fewer values", at: at)
                }
                let items = Array(stack.suffix(n))
                stack.removeLast(n)
                push(.tuple(newTuple(items)))
            case 0x64:  // DICT
                let items = try popMark()
                guard items.count % 2 == 0 else { throw bad("DICT with an odd number of items", at: at) }
                let d = newDict()
                for i in stride(from: 0, to: items.count, by: 2) { try setItem(d, items[i], items[i + 1], at: at) }
                push(.dict(d))
            case 0x4E: push(.none)
            case 0x88: push(.bool(true))
            case 0x89: push(.bool(false))
            case 0x4A: push(.int(Int(Int32(bitPattern: try le(4)))))  // BININT
            case 0x4B: push(.int(Int(try byte())))  // BININT1
            case 0x4D: push(.int(Int(try le(2))))  // BININT2
            case 0x8A: push(.int(try long(Int(try byte()), at: at)))  // LONG1
            case 0x8B: push(.int(try long(Int(try le(4)), at: at)))  // LONG4
            case 0x47: push(.float(Double(bitPattern: try be8())))  // BINFLOAT
            case 0x58: push(.string(try text(Int(try le(4)), at: at)))  // BINUNICODE
            case 0x8C: push(.string(try text(Int(try byte()), at: at)))  // SHORT_BINUNICODE
            case 0x8D: push(.string(try text(try length8(at: at), at: at)))  // BINUNICODE8
            case 0x43: push(.bytes(Data(try take(Int(try byte())))))  // SHORT_BINBYTES
            case 0x42: push(.bytes(Data(try take(Int(try le(4))))))  // BINBYTES
            case 0x8E: push(.bytes(Data(try take(try length8(at: at)))))  // BINBYTES8
            case 0x71: memo[Int(try byte())] = try top(at)  // BINPUT
            case 0x72: memo[Int(try le(4))] = try top(at)  // LONG_BINPUT
            case 0x94: memo[memo.count] = try top(at)  // MEMOIZE
            case 0x68, 0x6A:  // BINGET, LONG_BINGET
                let k = op == 0x68 ? Int(try byte()) : Int(try le(4))
                guard let v = memo[k] else { throw bad("memo index \(k) was never stored", at: at) }
                push(v)
            case 0x30:
                guard stack.count > (marks.last ?? 0) else { throw bad("POP on an empty stack", at: at) }
                stack.removeLast()
            case 0x31: _ = try popMark()  // POP_MARK
            case 0x32: push(try top(at))  // DUP
            case 0x63: push(try global(try line(at: at), try line(at: at), at: at))  // GLOBAL
            case 0x93:  // STACK_GLOBAL
                let name = try pop(at)
                let module = try pop(at)
                guard case .string(let n) = name, case .string(let m) = module else {
                    throw bad("STACK_GLOBAL of non-strings", at: at)
                }
                push(try global(m, n, at: at))
            case 0x52:
                let args = try pop(at)
                let f = try pop(at)
                push(try reduce(f, args, at: at))  // REDUCE
            case 0x62:
                let state = try pop(at)
                try build(try top(at), state, at: at)  // BUILD
            case 0x51: push(try persistentLoad(try pop(at), at: at))  // BINPERSID
            case 0x73:
                let v = try pop(at)
                let k = try pop(at)
                try setItem(try dictOnTop(at), k, v, at: at)  // SETITEM
            case 0x75:  // SETITEMS
                let items = try popMark()
                guard items.count % 2 == 0 else { throw bad("SETITEMS with an odd number of items", at: at) }
                let d = try dictOnTop(at)
                for i in stride(from: 0, to: items.count, by: 2) { try setItem(d, items[i], items[i + 1], at: at) }
            case 0x61:
                let v = try pop(at)
                try append(try listOnTop(at), [v])  // APPEND
            case 0x65, 0x90:
                let items = try popMark()
                try append(try listOnTop(at), items)  // APPENDS, ADDITEMS
            default:
                throw PyTorchError.forbiddenOpcode(file: file, opcode: Self.opcodeName(op), offset: at)
            }
        }
    }

    mutating func push(_ v: PickleValue) { stack.append(v) }

    mutating func pop(_ at: Int) throws -> PickleValue {
        guard stack.count > (marks.last ?? 0), let v = stack.popLast() else {
            throw bad("an opcode needs a value the stack does not have", at: at)
        }
        return v
    }

    func top(_ at: Int) throws -> PickleValue {
        guard stack.count > (marks.last ?? 0), let v = stack.last else {
            throw bad("an opcode needs a value the stack does not have", at: at)
        }
        return v
    }

    /// The values pushed since the last MARK, removing them and the mark.
    mutating func popMark() throws -> [PickleValue] {
        guard let m = marks.popLast() else { throw bad("an opcode needs a MARK that is not there") }
        let items = Array(stack[m...])
        stack.removeSubrange(m...)
        return items
    }

    mutating func newTuple(_ items: [PickleValue]) -> Int {
        arena.tuples.append(items)
        return arena.tuples.count - 1
    }
    mutating func newList(_ items: [PickleValue]) -> Int {
        arena.lists.append(items)
        return arena.lists.count - 1
    }
    mutating func newDict() -> Int {
        arena.dicts.append(PickleDict())
        return arena.dicts.count - 1
    }

    func dictOnTop(_ at: Int) throws -> Int {
        guard case .dict(let d) = try top(at) else {
            throw bad("SETITEM(S) on \(try top(at).typeName), not a dict", at: at)
        }
        return d
    }

    func listOnTop(_ at: Int) throws -> Int {
        guard case .list(let l) = try top(at) else {
            throw bad("APPEND(S) on \(try top(at).typeName), not a list", at: at)
        }
        return l
    }

    mutating func setItem(_ d: Int, _ k: PickleValue, _ v: PickleValue, at: Int) throws {
        guard arena.dicts[d].set(k, v) else {
            throw bad("a dict key of type \(k.typeName), not a string or integer", at: at)
        }
    }

    mutating func append(_ l: Int, _ items: [PickleValue]) throws { arena.lists[l].append(contentsOf: items) }
}
