//! The shared strings table: a declared count the part has no room for is refused, a
//! large reference count is not.

use crate::guard::check_xlsx;
use crate::guard::tests::*;
use crate::limits::Limits;
use crate::rejection::Rule;

#[test]
fn shared_strings_claiming_4e9_strings_are_too_large() {
    let bytes = rewrite_zip(&real_workbook(), |name, data| {
        if name != SST_PATH {
            return data;
        }
        let s = String::from_utf8(data).unwrap();
        let start = s.find("uniqueCount=\"").unwrap() + "uniqueCount=\"".len();
        let end = start + s[start..].find('"').unwrap();
        format!("{}4000000000{}", &s[..start], &s[end..]).into_bytes()
    });
    let refusal = refused(&bytes);
    assert_eq!(refusal.rule, Rule::TooLarge);
    assert!(
        refusal.en.contains("declares 4000000000 shared strings"),
        "{}",
        refusal.en
    );
    // Leading zeros and a prefix do not hide it; `count` (references, not strings) may
    // legitimately be far larger than the table.
    let sst = r#"<x:sst xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="5000000" uniqueCount="0004000000000"><x:si><x:t>a</x:t></x:si></x:sst>"#;
    assert_eq!(
        refused(&workbook_with(&sheet_xml("", ""), Some(sst))).rule,
        Rule::TooLarge
    );
    let sst = r#"<sst count="5000000" uniqueCount="1"><si><t>a</t></si></sst>"#;
    assert!(check_xlsx(&workbook_with(&sheet_xml("", ""), Some(sst)), &Limits::default()).is_ok());
}
