// Code injection: text that would run code or shell commands if passed on to an interpreter.
rule code
{
    meta:
        category = "code"
    strings:
        $python_eval = /\b(eval|exec|compile)\s*\(\s*["'a-z_]/
        $python_import = /__import__\s*\(/
        $os_command = /\bos\.(system|popen|exec[lv]p?e?|spawn[lv]p?e?)\s*\(/
        $subprocess = /\bsubprocess\.(run|call|Popen|check_call|check_output)\s*\(/
        $shell_chain = /(;|&&|\|\|)\s*(rm\s+-[rf]+|curl\s|wget\s|nc\s|bash\s|sh\s+-c)/
        $command_substitution = /\$\(\s*(rm|curl|wget|bash|sh|cat|nc)\b/
        $reverse_shell = "/dev/tcp/"
    condition:
        any of them
}
