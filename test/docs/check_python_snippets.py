"""Checks every ```python snippet of every README.md against the Python package jsii-pacmak generated.

    python3 test/docs/check_python_snippets.py dist/python/src/cdk_ai_gateway/__init__.py

Run by `npm run package-languages` (CI, after `npm run build`). The generated package cannot be
imported here (aws-cdk-lib for Python comes from PyPI, which CI cannot reach), so it is read as
source: each snippet must parse, every name it imports from `cdk_ai_gateway` must be a class of the
generated module, and every keyword argument it passes to one of those classes (or to one of their
static methods) must be a parameter of the generated signature. Exits 1 with one line per problem.
"""
import ast
import os
import re
import sys

SKIPPED_DIRS = {'node_modules', 'cdk.out', 'dist', 'assets', 'coverage', 'sourcemaps'}


def readmes(root):
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith('.') and d not in SKIPPED_DIRS)
        if 'README.md' in files:
            yield os.path.join(folder, 'README.md')


def snippets(path):
    """(line of the fence, code) of each ```python snippet."""
    lines = open(path, encoding='utf-8').read().split('\n')
    i = 0
    while i < len(lines):
        if re.match(r'^```python\s*$', lines[i]):
            end = next(j for j in range(i + 1, len(lines)) if re.match(r'^```\s*$', lines[j]))
            yield i + 1, '\n'.join(lines[i + 1:end])
            i = end
        i += 1


def generated_api(module_path):
    """{class name: {callable name ('__init__' or a method): set of parameter names}}."""
    tree = ast.parse(open(module_path, encoding='utf-8').read())
    api = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            methods = {}
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    args = item.args
                    methods[item.name] = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
            api[node.name] = methods
    return api


def check(code, api):
    problems = []
    try:
        tree = ast.parse(code)
    except SyntaxError as e:
        return [f'line {e.lineno}: syntax error: {e.msg}']
    imported = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == 'cdk_ai_gateway':
            for alias in node.names:
                if alias.name not in api:
                    problems.append(f'line {node.lineno}: cdk_ai_gateway has no class {alias.name}')
                else:
                    imported[alias.asname or alias.name] = alias.name
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in imported:
            cls, method = imported[func.id], '__init__'
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in imported:
            cls, method = imported[func.value.id], func.attr
        else:
            continue
        params = api[cls].get(method)
        if params is None:
            problems.append(f'line {node.lineno}: {cls} has no method {method}')
            continue
        for keyword in node.keywords:
            if keyword.arg is not None and keyword.arg not in params:
                problems.append(f'line {node.lineno}: {cls}.{method} has no parameter {keyword.arg} '
                                f'(it has: {", ".join(sorted(p for p in params if p != "self"))})')
    return problems


def main():
    module_path = sys.argv[1]
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
    api = generated_api(module_path)
    checked = 0
    failures = []
    for readme in readmes(root):
        for line, code in snippets(readme):
            checked += 1
            for problem in check(code, api):
                failures.append(f'{os.path.relpath(readme, root)}:{line}: {problem}')
    if checked == 0:
        failures.append('no ```python snippet found in any README.md')
    for failure in failures:
        print(failure, file=sys.stderr)
    print(f'{checked} Python snippet(s) checked against {module_path}: {len(failures)} problem(s)')
    sys.exit(1 if failures else 0)


if __name__ == '__main__':
    main()
