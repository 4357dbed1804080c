//! The byte scanner: tag ends found the way quick-xml finds them, entity declarations
//! refused wherever they hide, parts told apart by their content, and speed on big sheets.

use super::*;
use crate::guard::check_xlsx;
use crate::guard::tests::*;
use crate::rejection::a1;
use std::io::{Cursor, Write};
use std::time::Instant;

#[test]
fn tag_ends_are_found_outside_quotes_wherever_the_word_boundaries_fall() {
    // (tag content after `<`, index of its ending `>` in it, whether a `<` comes first)
    let cases: [(&[u8], Option<usize>, bool); 9] = [
        (b"c r=\"A1\" s=\"1\" t=\"s\">", Some(20), false),
        (b"a b=\">\" c='>'>", Some(13), false),
        (b"a b='\">\"'>", Some(9), false),
        (b"a b=\"'\">", Some(7), false),
        (b"a <b>", Some(4), true),
        (b"a b=\"<\">", Some(7), true),
        (b"a b=\">", None, false),
        (b"a b='x\"y>", None, false),
        (b"", None, false),
    ];
    for (tag, end, saw_lt) in cases {
        // Shift the tag across every offset within a word, and pad after it.
        for pad in 0..9 {
            let mut data = vec![b'x'; pad];
            data.extend_from_slice(tag);
            let expected = end.map(|e| (pad + e, saw_lt));
            assert_eq!(
                tag_end(&data, pad),
                expected,
                "{} at {pad}",
                String::from_utf8_lossy(tag)
            );
            data.extend_from_slice(b"        >");
            if let Some(e) = expected {
                assert_eq!(
                    tag_end(&data, pad),
                    Some(e),
                    "{} at {pad}, padded",
                    String::from_utf8_lossy(tag)
                );
            }
        }
    }
    assert_eq!(tag_end(b"ab>", 7), None);
}

#[test]
fn exact_byte_flags_mark_every_match_and_nothing_else() {
    let bytes = *b"<>\"<<'\x80\xbe";
    let word = u64::from_le_bytes(bytes);
    for needle in [b'<', b'>', b'"', b'\'', 0x80, 0xbe, 0x00] {
        let flags = exact_matches_in(word, needle);
        for (i, &b) in bytes.iter().enumerate() {
            assert_eq!(flags >> (i * 8 + 7) & 1 == 1, b == needle, "{needle:#x} at {i}");
        }
    }
}

#[test]
fn billion_laughs_in_shared_strings_is_refused() {
    let laughs = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>&lol3;</t></si></sst>"#;
    let bytes = rewrite_zip(&real_workbook(), |name, data| {
        if name == SST_PATH {
            laughs.as_bytes().to_vec()
        } else {
            data
        }
    });
    let refusal = refused(&bytes);
    assert_eq!(refusal.rule, Rule::XmlEntities);
    assert!(refusal.en.contains(SST_PATH));
}

#[test]
fn entity_declarations_anywhere_are_refused() {
    let cases = [
        "<!doctype x><worksheet/>".to_owned(),
        sheet_xml("", r#"<!ENTITY a "b">"#),
        // Hidden where quick-xml would not look, still refused.
        sheet_xml("<!-- <!DOCTYPE x> -->", ""),
        sheet_xml("", "<![CDATA[<!ENTITY a 'b'>]]>"),
        sheet_xml(r#"<x a="<!DOCTYPE"/>"#, ""),
        "<worksheet><!-- unclosed <!ENTITY x 'y'>".to_owned(),
        "<worksheet a=\"unclosed><!DOCTYPE x>".to_owned(),
    ];
    for sheet in &cases {
        assert_eq!(refused(&workbook_with(sheet, None)).rule, Rule::XmlEntities, "{sheet}");
    }
    // In any part, whatever its name.
    let bytes = workbook_with(&sheet_xml("", ""), None);
    let bytes = rewrite_zip(&bytes, |name, data| {
        if name == "_rels/.rels" {
            b"<!DOCTYPE r>".to_vec()
        } else {
            data
        }
    });
    assert_eq!(refused(&bytes).rule, Rule::XmlEntities);
    // Comments, CDATA and processing instructions are fine.
    let fine = sheet_xml(
        "<!-- a comment > with <tags> --><?pi x?>",
        r#"<row r="1"><c r="A1" t="str"><v><![CDATA[<c r="XFD1048576"/>]]></v></c></row>"#,
    );
    assert!(check_xlsx(&workbook_with(&fine, None), &Limits::default()).is_ok());
}

#[test]
fn parts_are_recognised_by_content_not_name() {
    // A worksheet stored under another name (calamine finds parts through the rels).
    let bytes = with_sheet_data(r#"<row r="1"><c r="A1"/><c r="XFD1048576"/></row>"#);
    let renamed = {
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in entries_of(&bytes) {
            let name = if name == SHEET_PATH {
                "xl/media/image1.png".to_owned()
            } else {
                name
            };
            out.start_file(name.as_str(), deflated()).unwrap();
            out.write_all(&data).unwrap();
        }
        out.finish().unwrap().into_inner()
    };
    assert_eq!(refused(&renamed).rule, Rule::TooLarge);
    // Binary parts full of `<` are not mistaken for markup.
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut image = vec![0x89, b'P', b'N', b'G'];
    image.extend((0..200_000).map(|_| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state as u8
    }));
    let bytes = zip_of(&[
        ("[Content_Types].xml", CONTENT_TYPES.as_bytes()),
        ("xl/workbook.xml", WORKBOOK.as_bytes()),
        ("xl/media/image1.png", &image),
    ]);
    assert!(check_xlsx(&bytes, &Limits::default()).unwrap().sheets.is_empty());
}

#[test]
fn a_big_honest_sheet_is_scanned_quickly() {
    // 100,000 cells, about 2.5 MB of XML.
    let mut sheet_data = String::new();
    for row in 1..=10_000 {
        sheet_data.push_str(&format!("<row r=\"{row}\">"));
        for col in 0..10 {
            sheet_data.push_str(&format!("<c r=\"{}\" t=\"n\"><v>{row}.{col}</v></c>", a1(row - 1, col)));
        }
        sheet_data.push_str("</row>");
    }
    let bytes = workbook_with(&sheet_xml(r#"<dimension ref="A1:J10000"/>"#, &sheet_data), None);
    let started = Instant::now();
    let facts = check_xlsx(&bytes, &Limits::default()).unwrap();
    assert_eq!(facts.sheets, [SHEET_PATH]);
    assert!(started.elapsed().as_secs() < 3, "{:?}", started.elapsed());
}
