// SQL injection: fragments that turn a query string into another query.
rule sqli
{
    meta:
        category = "sqli"
    strings:
        $union_select = /\bunion(\s+all)?\s+select\b/ nocase
        $tautology = /'\s*or\s+'?[0-9a-z]+'?\s*=\s*'?[0-9a-z]+/ nocase
        $quote_comment = /'\s*;?\s*(--|#|\/\*)/
        $stacked_query = /;\s*(drop|delete|insert|update|alter|truncate|exec)\s+/ nocase
        $time_probe = /\b(sleep|benchmark|pg_sleep)\s*\(|waitfor\s+delay\s+'/ nocase
        $schema_probe = /information_schema\.(tables|columns|schemata)/ nocase
    condition:
        any of them
}
