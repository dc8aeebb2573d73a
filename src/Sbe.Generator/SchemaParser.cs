using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Xml;
using System.Xml.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Wallet.Sbe.Generator;

/// <summary>One XML AdditionalFile: its path and text.</summary>
internal sealed class SchemaFile
{
    public SchemaFile(string path, string text)
    {
        Path = path;
        Text = text;
    }

    public string Path { get; }
    public string Text { get; }
}

/// <summary>Raised to stop parsing a schema after a fatal problem was reported.</summary>
internal sealed class SchemaAbortException : Exception
{
    public SchemaAbortException()
        : base("schema aborted")
    {
    }
}

/// <summary>
/// Reads an SBE 1.0 XML schema (resolving xi:include against the other AdditionalFiles by file name) into a
/// validated <see cref="SchemaDef"/> with every offset and block length computed. Problems become diagnostics.
/// </summary>
internal sealed class SchemaParser
{
    private const string XIncludeNs = "http://www.w3.org/2001/XInclude";

    /// <summary>Members every generated message/group flyweight has; a field, group or data of that name would clash.</summary>
    private static readonly string[] ReservedMemberNames =
    {
        "BlockLength", "TemplateId", "SchemaId", "SchemaVersion", "SinceVersion", "MessageName", "ActingBlockLength",
        "ActingVersion", "Offset", "Limit", "EncodedLength", "HeaderSize", "GroupId", "MaxCount", "Count", "Index",
        "HasNext", "MoveNext", "GetEnumerator", "Current", "Next", "Skip", "SkipEntryTail", "WrapWithHeader",
        "TryWrapWithHeader", "WrapAndApplyHeader",
    };

    private readonly SchemaFile _main;
    private readonly IReadOnlyList<SchemaFile> _all;
    private readonly Dictionary<XDocument, string> _docPaths = new Dictionary<XDocument, string>();
    private readonly Dictionary<string, TypeDef> _types = new Dictionary<string, TypeDef>(StringComparer.Ordinal);
    private readonly List<TypeDef> _typeOrder = new List<TypeDef>();
    private readonly Dictionary<XElement, TypeDef> _byElement = new Dictionary<XElement, TypeDef>();
    private readonly Dictionary<XElement, List<XElement>> _children = new Dictionary<XElement, List<XElement>>();
    private int _schemaVersion;
    private int _includeDepth;

    public SchemaParser(SchemaFile main, IReadOnlyList<SchemaFile> all)
    {
        _main = main;
        _all = all;
    }

    public List<Diagnostic> Diagnostics { get; } = new List<Diagnostic>();

    /// <summary>True when the text looks like an SBE messageSchema (cheap pre-filter before XML parsing).</summary>
    public static bool LooksLikeSchema(string text) => text.IndexOf("messageSchema", StringComparison.Ordinal) >= 0;

    public SchemaDef? Parse()
    {
        try
        {
            SchemaDef? schema = ParseCore();
            return Diagnostics.Count == 0 ? schema : null;
        }
        catch (SchemaAbortException)
        {
            return null;
        }
    }

    private SchemaDef? ParseCore()
    {
        XDocument doc = Load(_main, null);
        XElement root = doc.Root!;
        if (root.Name.LocalName != "messageSchema")
        {
            Fail(SbeDiagnostics.InvalidSchemaAttribute, root, $"root element <{root.Name.LocalName}> is not <messageSchema>");
        }

        string? package = Attr(root, "package");
        if (string.IsNullOrWhiteSpace(package))
        {
            Fail(SbeDiagnostics.InvalidSchemaAttribute, root, "<messageSchema> has no 'package' attribute");
        }

        int id = IntAttr(root, "id", null, 0, 65535) ?? 0;
        _schemaVersion = IntAttr(root, "version", 0, 0, 65535) ?? 0;
        string byteOrder = Attr(root, "byteOrder") ?? "littleEndian";
        if (byteOrder != "littleEndian" && byteOrder != "bigEndian")
        {
            Report(SbeDiagnostics.InvalidSchemaAttribute, root, $"<messageSchema> attribute 'byteOrder' has value '{byteOrder}'; expected 'littleEndian' or 'bigEndian'");
        }

        string headerType = Attr(root, "headerType") ?? "messageHeader";

        // Pass 1: register every named type (top-level types; enums, sets, composites at any depth).
        var typesElements = new List<XElement>();
        foreach (XElement child in Children(root))
        {
            if (child.Name.LocalName == "types")
            {
                typesElements.Add(child);
            }
        }

        // Plain <type>s first, so an enum or set may name one as its encodingType wherever it is declared.
        foreach (bool plainTypes in new[] { true, false })
        {
            foreach (XElement types in typesElements)
            {
                foreach (XElement t in Children(types))
                {
                    if ((t.Name.LocalName == "type") == plainTypes)
                    {
                        Register(t, topLevel: true);
                    }
                }
            }
        }

        StopIfErrors();

        // Pass 2: resolve composites (refs, offsets, sizes).
        foreach (TypeDef t in _typeOrder)
        {
            if (t is CompositeDef c)
            {
                ResolveComposite(c);
            }
        }

        StopIfErrors();

        if (!_types.TryGetValue(headerType, out TypeDef? headerDef) || headerDef is not CompositeDef header)
        {
            Fail(SbeDiagnostics.BadHeader, root, $"message header composite '{headerType}' is not defined (the schema needs a <composite name=\"{headerType}\"> with blockLength, templateId, schemaId, version)");
            return null;
        }

        foreach (string member in new[] { "blockLength", "templateId", "schemaId", "version" })
        {
            if (!IsUnsignedScalar(header.Find(member)))
            {
                Report(SbeDiagnostics.BadHeader, header.Element, $"message header composite '{headerType}' lacks an unsigned integer member '{member}'");
            }
        }

        StopIfErrors();

        var schema = new SchemaDef(package!, id, _schemaVersion, byteOrder == "bigEndian", header)
        {
            SemanticVersion = Attr(root, "semanticVersion"),
        };
        schema.Types.AddRange(_typeOrder);

        var messageIds = new HashSet<int>();
        var messageNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (XElement child in Children(root))
        {
            if (child.Name.LocalName != "message")
            {
                continue;
            }

            string name = RequiredName(child);
            int msgId = IntAttr(child, "id", null, 0, 65535) ?? 0;
            if (!messageIds.Add(msgId))
            {
                Report(SbeDiagnostics.DuplicateId, child, $"<message name=\"{name}\"> reuses message id {msgId}");
            }

            if (!messageNames.Add(name))
            {
                Report(SbeDiagnostics.DuplicateName, child, $"<message name=\"{name}\"> is defined twice");
            }

            if (_types.TryGetValue(name, out TypeDef? clash) && clash is CompositeDef)
            {
                Report(SbeDiagnostics.DuplicateName, child, $"<message name=\"{name}\"> has the name of a composite; both would generate '{Naming.Pascal(name)}Decoder'");
            }

            var msg = new MessageDef(name, msgId, child);
            msg.SinceVersion = SinceVersion(child);
            ParseBlock(msg, child, new HashSet<int>());
            ulong maxRoot = Literals.MaxUnsigned(((EncodedType)header.Find("blockLength")!.Type).Prim);
            if ((ulong)msg.BlockLength > maxRoot)
            {
                Report(SbeDiagnostics.BadLayout, child, $"<message name=\"{name}\"> has block length {msg.BlockLength}, more than the header's blockLength can carry ({maxRoot})");
            }

            schema.Messages.Add(msg);
        }

        return schema;
    }

    // ----------------------------------------------------------------------------------------------------------
    // Documents and includes

    private XDocument Load(SchemaFile file, XElement? includedFrom)
    {
        XDocument doc;
        try
        {
            doc = XDocument.Parse(file.Text, LoadOptions.SetLineInfo);
        }
        catch (XmlException ex)
        {
            Location loc = Location.Create(file.Path, default, new LinePositionSpan(new LinePosition(Math.Max(0, ex.LineNumber - 1), Math.Max(0, ex.LinePosition - 1)), new LinePosition(Math.Max(0, ex.LineNumber - 1), Math.Max(0, ex.LinePosition - 1))));
            string via = includedFrom is null ? string.Empty : " (included by xi:include)";
            Diagnostics.Add(Diagnostic.Create(SbeDiagnostics.MalformedXml, loc, $"malformed XML{via}: {ex.Message}", FileName(file.Path)));
            throw new SchemaAbortException();
        }

        if (doc.Root is null)
        {
            Diagnostics.Add(Diagnostic.Create(SbeDiagnostics.MalformedXml, Location.Create(file.Path, default, default), "document has no root element", FileName(file.Path)));
            throw new SchemaAbortException();
        }

        _docPaths[doc] = file.Path;
        return doc;
    }

    /// <summary>Child elements with xi:include elements replaced by the included document's content.</summary>
    private IEnumerable<XElement> Children(XElement parent)
    {
        // Cached so that every pass sees the very same included elements (each include is loaded once).
        if (_children.TryGetValue(parent, out List<XElement>? cached))
        {
            return cached;
        }

        var result = new List<XElement>();
        _children[parent] = result;
        foreach (XElement child in parent.Elements())
        {
            if (child.Name.NamespaceName == XIncludeNs && child.Name.LocalName == "include")
            {
                XElement included = ResolveInclude(child);
                if (included.Name.LocalName == parent.Name.LocalName)
                {
                    // <types> included into <types>: splice the children.
                    result.AddRange(Children(included));
                }
                else
                {
                    result.Add(included);
                }
            }
            else
            {
                result.Add(child);
            }
        }

        return result;
    }

    private XElement ResolveInclude(XElement include)
    {
        string? href = Attr(include, "href");
        if (string.IsNullOrWhiteSpace(href))
        {
            Fail(SbeDiagnostics.IncludeNotFound, include, "<xi:include> has no 'href' attribute");
        }

        string wanted = FileName(href!);
        string? baseDir = SafeDirectory(PathOf(include));
        SchemaFile? best = null;
        foreach (SchemaFile f in _all)
        {
            if (!string.Equals(FileName(f.Path), wanted, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (best is null || string.Equals(SafeDirectory(f.Path), baseDir, StringComparison.Ordinal))
            {
                best = f;
            }
        }

        if (best is null)
        {
            Fail(SbeDiagnostics.IncludeNotFound, include, $"<xi:include href=\"{href}\"> names no AdditionalFiles item called '{wanted}'");
        }

        if (++_includeDepth > 16)
        {
            Fail(SbeDiagnostics.IncludeNotFound, include, $"<xi:include href=\"{href}\"> nests includes deeper than 16 levels (cycle?)");
        }

        try
        {
            return Load(best!, include).Root!;
        }
        finally
        {
            _includeDepth--;
        }
    }

    // ----------------------------------------------------------------------------------------------------------
    // Types

    private void Register(XElement el, bool topLevel)
    {
        string kind = el.Name.LocalName;
        if (kind != "type" && kind != "enum" && kind != "set" && kind != "composite")
        {
            if (kind != "ref" || topLevel)
            {
                Report(SbeDiagnostics.BadAttribute, el, $"unexpected element <{kind}> in <types>");
            }

            return;
        }

        if (kind == "type" && !topLevel)
        {
            return; // inline member of a composite, resolved with it
        }

        string name = RequiredName(el);
        TypeDef? def = kind switch
        {
            "type" => ParseEncoded(el, name),
            "enum" => ParseEnum(el, name),
            "set" => ParseSet(el, name),
            _ => new CompositeDef(name, el),
        };
        if (def is null)
        {
            return;
        }

        if (_types.ContainsKey(name))
        {
            Report(SbeDiagnostics.DuplicateName, el, $"<{kind} name=\"{name}\"> is defined twice");
            return;
        }

        _types[name] = def;
        _typeOrder.Add(def);
        _byElement[el] = def;
        if (def is CompositeDef)
        {
            foreach (XElement m in Children(el))
            {
                Register(m, topLevel: false);
            }
        }
    }

    private EncodedType? ParseEncoded(XElement el, string name)
    {
        string? primName = Attr(el, "primitiveType");
        if (primName is null)
        {
            Report(SbeDiagnostics.BadAttribute, el, $"<type name=\"{name}\"> has no 'primitiveType' attribute");
            return null;
        }

        PrimInfo? prim = PrimInfo.Lookup(primName);
        if (prim is null)
        {
            Report(SbeDiagnostics.UnknownPrimitive, el, $"<type name=\"{name}\"> has unknown primitiveType '{primName}' (expected char, int8..int64, uint8..uint64, float or double)");
            return null;
        }

        var t = new EncodedType(name, el, prim)
        {
            Length = IntAttr(el, "length", 1, 0, 65535) ?? 1,
            Presence = ParsePresence(el),
            NullValue = Attr(el, "nullValue"),
            MinValue = Attr(el, "minValue"),
            MaxValue = Attr(el, "maxValue"),
            CharacterEncoding = Attr(el, "characterEncoding"),
            Offset = IntAttr(el, "offset", null, 0, 65535),
            SinceVersion = SinceVersion(el),
        };

        if (t.Presence == Presence.Constant)
        {
            string value = el.Value.Trim();
            if (value.Length == 0)
            {
                Report(SbeDiagnostics.BadConstant, el, $"constant <type name=\"{name}\"> has no value");
                return null;
            }

            if (prim.Prim == Prim.Char)
            {
                t.ConstValue = el.Value;
            }
            else
            {
                t.ConstValue = value;
                CheckLiteral(el, prim, value, $"constant value of <type name=\"{name}\">");
            }
        }

        if (t.NullValue is not null)
        {
            CheckLiteral(el, prim, t.NullValue, $"nullValue of <type name=\"{name}\">");
        }

        if (t.MinValue is not null)
        {
            CheckLiteral(el, prim, t.MinValue, $"minValue of <type name=\"{name}\">");
        }

        if (t.MaxValue is not null)
        {
            CheckLiteral(el, prim, t.MaxValue, $"maxValue of <type name=\"{name}\">");
        }

        return t;
    }

    private PrimInfo? EncodingOf(XElement el, string name)
    {
        string encName = Attr(el, "encodingType") ?? string.Empty;
        PrimInfo? prim = PrimInfo.Lookup(encName);
        if (prim is null && _types.TryGetValue(encName, out TypeDef? t) && t is EncodedType et && et.Length == 1)
        {
            prim = et.Prim;
        }

        if (prim is null)
        {
            Report(SbeDiagnostics.UnknownPrimitive, el, $"<{el.Name.LocalName} name=\"{name}\"> has unknown encodingType '{encName}'");
        }

        return prim;
    }

    private EnumDef? ParseEnum(XElement el, string name)
    {
        PrimInfo? prim = EncodingOf(el, name);
        if (prim is null)
        {
            return null;
        }

        if (prim.IsFloat)
        {
            Report(SbeDiagnostics.BadEnumOrSet, el, $"<enum name=\"{name}\"> cannot be encoded as {prim.Prim}");
            return null;
        }

        var e = new EnumDef(name, el, prim) { Presence = ParsePresence(el), SinceVersion = SinceVersion(el), Offset = IntAttr(el, "offset", null, 0, 65535) };
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (XElement v in el.Elements())
        {
            if (v.Name.LocalName != "validValue")
            {
                continue;
            }

            string vName = RequiredName(v);
            string text = v.Value;
            string? literal = null;
            if (prim.Prim == Prim.Char)
            {
                if (text.Length == 1 && text[0] <= 0x7f)
                {
                    literal = ((int)text[0]).ToString(CultureInfo.InvariantCulture);
                }
                else if (text.Trim().Length == 1 && text.Trim()[0] <= 0x7f)
                {
                    literal = ((int)text.Trim()[0]).ToString(CultureInfo.InvariantCulture);
                }
            }
            else if (Literals.TryIntegral(prim, text.Trim(), out string lit))
            {
                literal = lit;
            }

            if (literal is null)
            {
                Report(SbeDiagnostics.BadEnumOrSet, v, $"<validValue name=\"{vName}\"> of <enum name=\"{name}\"> has value '{text}' that is not a valid {prim.Prim}");
                continue;
            }

            if (!names.Add(vName))
            {
                Report(SbeDiagnostics.DuplicateName, v, $"<validValue name=\"{vName}\"> is defined twice in <enum name=\"{name}\">");
                continue;
            }

            e.Values.Add(new EnumValue(vName, literal));
        }

        return e;
    }

    private SetDef? ParseSet(XElement el, string name)
    {
        PrimInfo? prim = EncodingOf(el, name);
        if (prim is null)
        {
            return null;
        }

        if (!prim.IsUnsigned || prim.Prim == Prim.Char)
        {
            Report(SbeDiagnostics.BadEnumOrSet, el, $"<set name=\"{name}\"> must be encoded as uint8, uint16, uint32 or uint64, not {prim.Prim}");
            return null;
        }

        var s = new SetDef(name, el, prim) { SinceVersion = SinceVersion(el), Offset = IntAttr(el, "offset", null, 0, 65535) };
        var names = new HashSet<string>(StringComparer.Ordinal);
        var bits = new HashSet<int>();
        foreach (XElement c in el.Elements())
        {
            if (c.Name.LocalName != "choice")
            {
                continue;
            }

            string cName = RequiredName(c);
            if (!int.TryParse(c.Value.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int bit) || bit < 0 || bit >= prim.Size * 8)
            {
                Report(SbeDiagnostics.BadEnumOrSet, c, $"<choice name=\"{cName}\"> of <set name=\"{name}\"> has bit position '{c.Value}' outside 0..{(prim.Size * 8) - 1}");
                continue;
            }

            if (!names.Add(cName) || !bits.Add(bit))
            {
                Report(SbeDiagnostics.DuplicateName, c, $"<choice name=\"{cName}\"> of <set name=\"{name}\"> repeats a name or bit position");
                continue;
            }

            s.Choices.Add(new SetChoice(cName, bit));
        }

        return s;
    }

    private void ResolveComposite(CompositeDef c)
    {
        if (c.Resolved)
        {
            return;
        }

        if (c.Resolving)
        {
            Fail(SbeDiagnostics.UndefinedType, c.Element, $"<composite name=\"{c.Name}\"> contains itself (reference cycle)");
        }

        c.Resolving = true;
        c.SinceVersion = SinceVersion(c.Element);
        c.Offset = IntAttr(c.Element, "offset", null, 0, 65535);
        int running = 0;
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (XElement m in Children(c.Element))
        {
            string kind = m.Name.LocalName;
            string mName = RequiredName(m);
            TypeDef? type;
            int? offset;
            int since;
            if (kind == "ref")
            {
                string? typeName = Attr(m, "type");
                if (typeName is null || !_types.TryGetValue(typeName, out type))
                {
                    Report(SbeDiagnostics.UndefinedType, m, $"<ref name=\"{mName}\"> in <composite name=\"{c.Name}\"> references undefined type '{typeName}'");
                    continue;
                }

                offset = IntAttr(m, "offset", null, 0, 65535);
                since = SinceVersion(m);
            }
            else if (kind == "type")
            {
                type = ParseEncoded(m, mName);
                if (type is null)
                {
                    continue;
                }

                offset = type.Offset;
                since = type.SinceVersion;
            }
            else if (_byElement.TryGetValue(m, out type))
            {
                offset = IntAttr(m, "offset", null, 0, 65535);
                since = SinceVersion(m);
            }
            else if (Diagnostics.Count > 0)
            {
                continue; // already reported (bad enum/set)
            }
            else
            {
                Fail(SbeDiagnostics.BadAttribute, m, $"unexpected element <{kind}> in <composite name=\"{c.Name}\">");
                continue;
            }

            if (type is CompositeDef inner)
            {
                ResolveComposite(inner);
            }

            if (!names.Add(mName))
            {
                Report(SbeDiagnostics.DuplicateName, m, $"member '{mName}' is defined twice in <composite name=\"{c.Name}\">");
                continue;
            }

            if (offset.HasValue)
            {
                if (offset.Value < running)
                {
                    Report(SbeDiagnostics.BadLayout, m, $"member '{mName}' of <composite name=\"{c.Name}\"> has offset {offset.Value} overlapping the previous member (which ends at {running})");
                    continue;
                }

                running = offset.Value;
            }

            c.Members.Add(new CompositeMember(mName, type, running, since));
            running += type.Size;
        }

        c.ComputedSize = running;
        c.Resolving = false;
        c.Resolved = true;
    }

    // ----------------------------------------------------------------------------------------------------------
    // Messages and groups

    private void ParseBlock(BlockDef block, XElement el, HashSet<int> ids)
    {
        int phase = 0; // 0 fields, 1 groups, 2 data
        int running = 0;
        var names = new HashSet<string>(StringComparer.Ordinal);
        string owner = $"<{el.Name.LocalName} name=\"{block.Name}\">";
        foreach (XElement child in Children(el))
        {
            string kind = child.Name.LocalName;
            if (kind != "field" && kind != "group" && kind != "data")
            {
                continue;
            }

            string name = RequiredName(child);
            int id = IntAttr(child, "id", null, 0, 65535) ?? 0;
            string what = $"<{kind} name=\"{name}\"> in {owner}";
            if (!ids.Add(id))
            {
                Report(SbeDiagnostics.DuplicateId, child, $"{what} reuses id {id}");
            }

            if (!names.Add(name))
            {
                Report(SbeDiagnostics.DuplicateName, child, $"{what} reuses the name '{name}'");
            }
            else if (Array.IndexOf(ReservedMemberNames, Naming.Pascal(name)) >= 0)
            {
                Report(SbeDiagnostics.DuplicateName, child, $"{what}: the name '{name}' clashes with the generated member '{Naming.Pascal(name)}'");
            }
            else if (kind == "group" && string.Equals(Naming.Pascal(name), Naming.Pascal(block.Name), StringComparison.Ordinal))
            {
                // Its flyweights would be nested types named like the enclosing ones (C# forbids that).
                Report(SbeDiagnostics.DuplicateName, child, $"{what}: a group may not be named like the block that contains it; rename one of them");
            }

            int since = SinceVersion(child);
            if (kind == "field")
            {
                if (phase > 0)
                {
                    Report(SbeDiagnostics.BadOrder, child, $"{what} comes after a group or data element; fields must come first");
                }

                FieldDef? f = ParseField(child, name, id, what);
                if (f is null)
                {
                    continue;
                }

                f.SinceVersion = since;
                int? offset = IntAttr(child, "offset", null, 0, 65535);
                if (offset.HasValue)
                {
                    if (offset.Value < running)
                    {
                        Report(SbeDiagnostics.BadLayout, child, $"{what} has offset {offset.Value} overlapping the previous field (which ends at {running})");
                        continue;
                    }

                    running = offset.Value;
                }

                f.Offset = running;
                running += f.Presence == Presence.Constant ? 0 : f.Type.Size;
                block.Fields.Add(f);
            }
            else if (kind == "group")
            {
                if (phase > 1)
                {
                    Report(SbeDiagnostics.BadOrder, child, $"{what} comes after a data element; groups must precede var data");
                }

                phase = 1;
                string? dimName = Attr(child, "dimensionType");
                CompositeDef? dim = null;
                if (dimName is null)
                {
                    if (_types.TryGetValue("groupSizeEncoding", out TypeDef? d) && d is CompositeDef dc)
                    {
                        dim = dc;
                    }
                    else
                    {
                        Report(SbeDiagnostics.BadDimension, child, $"{what} has no 'dimensionType' attribute and the schema defines no 'groupSizeEncoding' composite");
                        continue;
                    }
                }
                else if (!_types.TryGetValue(dimName, out TypeDef? d) || d is not CompositeDef dc)
                {
                    Report(SbeDiagnostics.BadDimension, child, $"{what} has dimensionType '{dimName}' that is not a defined composite");
                    continue;
                }
                else
                {
                    dim = dc;
                }

                if (!IsUnsignedScalar(dim.Find("blockLength")) || !IsUnsignedScalar(dim.Find("numInGroup")))
                {
                    Report(SbeDiagnostics.BadDimension, child, $"{what}: dimension composite '{dim.Name}' needs unsigned integer members 'blockLength' and 'numInGroup'");
                    continue;
                }

                var g = new GroupDef(name, id, child, dim) { SinceVersion = since };
                ParseBlock(g, child, ids);
                ulong maxBlock = Literals.MaxUnsigned(((EncodedType)dim.Find("blockLength")!.Type).Prim);
                if ((ulong)g.BlockLength > maxBlock)
                {
                    Report(SbeDiagnostics.BadLayout, child, $"{what} has block length {g.BlockLength}, more than its dimension '{dim.Name}' can carry ({maxBlock})");
                }

                block.Groups.Add(g);
            }
            else
            {
                phase = 2;
                DataDef? d = ParseData(child, name, id, what);
                if (d is not null)
                {
                    d.SinceVersion = since;
                    block.Data.Add(d);
                }
            }
        }

        int? declared = IntAttr(el, "blockLength", null, 0, 65535);
        if (declared.HasValue && declared.Value < running)
        {
            Report(SbeDiagnostics.BadLayout, el, $"{owner} declares blockLength {declared.Value} but its fields need {running} bytes");
        }

        block.BlockLength = declared ?? running;
    }

    private FieldDef? ParseField(XElement el, string name, int id, string what)
    {
        string? typeName = Attr(el, "type");
        if (typeName is null)
        {
            Report(SbeDiagnostics.BadAttribute, el, $"{what} has no 'type' attribute");
            return null;
        }

        TypeDef? type;
        PrimInfo? prim = PrimInfo.Lookup(typeName);
        if (prim is not null)
        {
            type = new EncodedType(typeName, el, prim);
        }
        else if (!_types.TryGetValue(typeName, out type))
        {
            Report(SbeDiagnostics.UndefinedType, el, $"{what} references undefined type '{typeName}'");
            return null;
        }

        var f = new FieldDef(name, id, type, el);
        string? presence = Attr(el, "presence");
        Presence p = ParsePresence(el);
        if (presence is null)
        {
            p = type switch
            {
                EncodedType et => et.Presence,
                EnumDef en => en.Presence,
                _ => Presence.Required,
            };
        }

        if (p == Presence.Constant)
        {
            string? valueRef = Attr(el, "valueRef");
            if (type is EnumDef en)
            {
                if (valueRef is not null)
                {
                    int dot = valueRef.LastIndexOf('.');
                    string enumName = dot < 0 ? string.Empty : valueRef.Substring(0, dot);
                    string valueName = dot < 0 ? valueRef : valueRef.Substring(dot + 1);
                    if (enumName != en.Name || !en.Values.Exists(v => v.Name == valueName))
                    {
                        Report(SbeDiagnostics.BadConstant, el, $"{what} has valueRef '{valueRef}' that is not a value of enum '{en.Name}'");
                        return null;
                    }

                    f.ConstEnumValue = valueName;
                }
                else if (en.ConstValue is null)
                {
                    Report(SbeDiagnostics.BadConstant, el, $"constant {what} has no 'valueRef' attribute");
                    return null;
                }
            }
            else if (type is not EncodedType { Presence: Presence.Constant })
            {
                Report(SbeDiagnostics.BadConstant, el, $"constant {what} must reference a constant <type> or an enum value through valueRef");
                return null;
            }
        }
        else if (type is EncodedType { Presence: Presence.Constant })
        {
            p = Presence.Constant;
        }

        if (type is CompositeDef vc && vc.Members.Exists(m => m.Type is EncodedType { Length: 0 }))
        {
            Report(SbeDiagnostics.BadVarData, el, $"{what} references var data composite '{typeName}'; use a <data> element for it");
            return null;
        }

        if (type is EncodedType { Length: 0 })
        {
            Report(SbeDiagnostics.BadLayout, el, $"{what} references type '{typeName}' of length 0; only var data may have length 0");
            return null;
        }

        f.Presence = p;
        return f;
    }

    private DataDef? ParseData(XElement el, string name, int id, string what)
    {
        string? typeName = Attr(el, "type");
        if (typeName is null || !_types.TryGetValue(typeName, out TypeDef? t))
        {
            Report(SbeDiagnostics.UndefinedType, el, $"{what} references undefined type '{typeName}'");
            return null;
        }

        if (t is not CompositeDef c)
        {
            Report(SbeDiagnostics.BadVarData, el, $"{what}: type '{typeName}' must be a composite with 'length' and 'varData' members");
            return null;
        }

        CompositeMember? length = c.Find("length");
        CompositeMember? varData = c.Find("varData");
        if (length?.Type is not EncodedType lt || lt.Length != 1 || lt.Presence == Presence.Constant ||
            (lt.Prim.Prim != Prim.UInt8 && lt.Prim.Prim != Prim.UInt16 && lt.Prim.Prim != Prim.UInt32))
        {
            Report(SbeDiagnostics.BadVarData, el, $"{what}: composite '{typeName}' needs a 'length' member of type uint8, uint16 or uint32");
            return null;
        }

        if (varData?.Type is not EncodedType vt || vt.Length != 0 || (vt.Prim.Prim != Prim.UInt8 && vt.Prim.Prim != Prim.Char))
        {
            Report(SbeDiagnostics.BadVarData, el, $"{what}: composite '{typeName}' needs a 'varData' member of type uint8 (or char) with length=\"0\"");
            return null;
        }

        return new DataDef(name, id, c, lt.Prim, el)
        {
            LengthOffset = length.Offset,
            DataOffset = varData.Offset,
            LengthMax = lt.MaxValue,
            CharacterEncoding = vt.CharacterEncoding,
        };
    }

    // ----------------------------------------------------------------------------------------------------------
    // Helpers

    private static bool IsUnsignedScalar(CompositeMember? m) =>
        m?.Type is EncodedType et && et.Length == 1 && et.Presence != Presence.Constant && et.Prim.IsUnsigned && et.Prim.Prim != Prim.Char;

    private Presence ParsePresence(XElement el)
    {
        string? p = Attr(el, "presence");
        switch (p)
        {
            case null:
            case "required":
                return Presence.Required;
            case "optional":
                return Presence.Optional;
            case "constant":
                return Presence.Constant;
            default:
                Report(SbeDiagnostics.BadAttribute, el, $"<{el.Name.LocalName} name=\"{Attr(el, "name")}\"> attribute 'presence' has value '{p}'; expected required, optional or constant");
                return Presence.Required;
        }
    }

    private int SinceVersion(XElement el)
    {
        int v = IntAttr(el, "sinceVersion", 0, 0, 65535) ?? 0;
        if (v > _schemaVersion)
        {
            Report(SbeDiagnostics.SinceVersionTooHigh, el, $"<{el.Name.LocalName} name=\"{Attr(el, "name")}\"> has sinceVersion {v} greater than the schema version {_schemaVersion}");
        }

        return v;
    }

    private void CheckLiteral(XElement el, PrimInfo prim, string value, string what)
    {
        if (!Literals.TryFormat(prim, value, out _))
        {
            Report(SbeDiagnostics.BadConstant, el, $"{what} '{value}' is not a valid {prim.Prim} literal");
        }
    }

    private string RequiredName(XElement el)
    {
        string? name = Attr(el, "name");
        if (string.IsNullOrWhiteSpace(name))
        {
            Fail(SbeDiagnostics.BadAttribute, el, $"<{el.Name.LocalName}> has no 'name' attribute");
        }

        if (!Naming.IsValidSbeName(name!))
        {
            Fail(SbeDiagnostics.BadAttribute, el, $"<{el.Name.LocalName} name=\"{name}\"> is not a valid symbolic name");
        }

        return name!;
    }

    private static string? Attr(XElement el, string name) => el.Attribute(name)?.Value;

    private int? IntAttr(XElement el, string name, int? defaultValue, int min, int max)
    {
        string? raw = Attr(el, name);
        if (raw is null)
        {
            if (defaultValue is null && name == "id")
            {
                Report(SbeDiagnostics.BadAttribute, el, $"<{el.Name.LocalName} name=\"{Attr(el, "name")}\"> has no 'id' attribute");
            }

            return defaultValue;
        }

        if (!int.TryParse(raw.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) || v < min || v > max)
        {
            Report(SbeDiagnostics.BadAttribute, el, $"<{el.Name.LocalName} name=\"{Attr(el, "name")}\"> attribute '{name}' has value '{raw}'; expected an integer in {min}..{max}");
            return defaultValue;
        }

        return v;
    }

    private string PathOf(XElement el) => el.Document is not null && _docPaths.TryGetValue(el.Document, out string? p) ? p : _main.Path;

    private static string FileName(string path)
    {
        int i = Math.Max(path.LastIndexOf('/'), path.LastIndexOf('\\'));
        return i < 0 ? path : path.Substring(i + 1);
    }

    private static string? SafeDirectory(string path)
    {
        int i = Math.Max(path.LastIndexOf('/'), path.LastIndexOf('\\'));
        return i < 0 ? string.Empty : path.Substring(0, i);
    }

    private Location LocationOf(XElement el)
    {
        string path = PathOf(el);
        var li = (IXmlLineInfo)el;
        if (!li.HasLineInfo())
        {
            return Location.Create(path, default, default);
        }

        var pos = new LinePosition(Math.Max(0, li.LineNumber - 1), Math.Max(0, li.LinePosition - 1));
        return Location.Create(path, default, new LinePositionSpan(pos, pos));
    }

    private void Report(DiagnosticDescriptor d, XElement el, string message)
    {
        string path = PathOf(el);
        Diagnostics.Add(Diagnostic.Create(d, LocationOf(el), message, FileName(path)));
    }

    private void Fail(DiagnosticDescriptor d, XElement el, string message)
    {
        Report(d, el, message);
        throw new SchemaAbortException();
    }

    private void StopIfErrors()
    {
        if (Diagnostics.Count > 0)
        {
            throw new SchemaAbortException();
        }
    }

    internal static string DisplayName(string path) => Path.GetFileName(path);
}
