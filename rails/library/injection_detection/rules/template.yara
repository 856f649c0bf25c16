// Template injection: expressions a server-side template engine would evaluate.
rule template
{
    meta:
        category = "template"
    strings:
        $jinja_dunder = /\{\{[^}]*__(class|mro|subclasses|globals|builtins|init)__[^}]*\}\}/
        $jinja_objects = /\{\{[^}]*\b(config|request|lipsum|cycler|joiner|namespace)\b[^}]*\}\}/
        $jinja_statement = /\{%-?\s*(import|include|from|macro|call)\b/
        $expression_language = /\$\{[^}]*(Runtime|getClass|forName|exec\(|T\()[^}]*\}/
        $erb = /<%=?[^%]*\b(system|exec|eval|spawn)\b[^%]*%>/
    condition:
        any of them
}
