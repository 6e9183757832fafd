import Testing

// One suite per language feature; each case is rendered and compared with
// what real jinja2 (configured as transformers configures it) produced
// (`Tests/Fixtures/jinja2/features.json`).

@Suite struct WhitespaceControlTests {
    @Test(arguments: Jinja2Expectations.features("ws-"))
    func trimAndLstripBlocksAndDashesMatchJinja2(_ c: Jinja2Expectations.Case) { Jinja2Expectations.checkFeature(c) }
}

@Suite struct PythonPrintingTests {
    @Test(arguments: Jinja2Expectations.features("print-"))
    func numbersNoneBooleansAndContainersPrintAsPython(_ c: Jinja2Expectations.Case) { Jinja2Expectations.checkFeature(c) }
}

@Suite struct OperatorTests {
    @Test(arguments: Jinja2Expectations.features("op-"))
    func operatorsFollowPythonAndJinjaPrecedence(_ c: Jinja2Expectations.Case) { Jinja2Expectations.checkFeature(c) }
}

@Suite struct StringMethodTests {
    @Test(arguments: Jinja2Expectations.features("string-"))
    func stringMethodsAndIndexingMatchPython(_ c: Jinja2Expectations.Case) { Jinja2Expectations.checkFeature(c) }
}

@Suite struct UndefinedTests {
    @Test(arguments: Jinja2Expectations.features("undefined-"))
    func undefinedPrintsEmptyAndFailsOnUse(_ c: Jinja2Expectations.Case) { Jinja2Expectations.checkFeature(c) }
}

@Suite struct AttributeLookupTests {
    @Test(arguments: Jinja2Expectations.features("lookup-"))
    func attributesAndItemsResolveAsInTheSandbox(_ c: Jinja2Expectations.Case) { Jinja2Expectations.checkFeature(c) }
}

@Suite struct FilterTests {
    @Test(arguments: Jinja2Expectations.features("filter-"))
    func builtInFiltersMatchJinja2(_ c: Jinja2Expectations.Case) { Jinja2Expectations.checkFeature(c) }
}

@Suite struct IsTestTests {
    @Test(arguments: Jinja2Expectations.features("test-"))
    func builtInTestsMatchJinja2(_ c: Jinja2Expectations.Case) { Jinja2Expectations.checkFeature(c) }
}

@Suite struct LoopTests {
    @Test(arguments: Jinja2Expectations.features("loop-"))
    func loopVariablesFiltersAndControlMatchJinja2(_ c: Jinja2Expectations.Case) { Jinja2Expectations.checkFeature(c) }
}

@Suite struct ScopingTests {
    @Test(arguments: Jinja2Expectations.features("scope-"))
    func setScopesAndNamespacesMatchJinja2(_ c: Jinja2Expectations.Case) { Jinja2Expectations.checkFeature(c) }
}

@Suite struct MacroTests {
    @Test(arguments: Jinja2Expectations.features("macro-"))
    func macrosArgumentsCallersAndRecursionMatchJinja2(_ c: Jinja2Expectations.Case) { Jinja2Expectations.checkFeature(c) }
}

@Suite struct ToJSONTests {
    @Test(arguments: Jinja2Expectations.features("tojson-"))
    func tojsonIsByteExactJsonDumps(_ c: Jinja2Expectations.Case) { Jinja2Expectations.checkFeature(c) }
}

@Suite struct SlicingTests {
    @Test(arguments: Jinja2Expectations.features("slice-"))
    func slicesWithStepsAndNegativeIndexesMatchPython(_ c: Jinja2Expectations.Case) { Jinja2Expectations.checkFeature(c) }
}

@Suite struct MiscellaneousTests {
    @Test(arguments: Jinja2Expectations.features("misc-"))
    func globalsErrorsAndSyntaxMatchJinja2(_ c: Jinja2Expectations.Case) { Jinja2Expectations.checkFeature(c) }
}
