# Sanity-Checks: the checks to run before trusting a network with a long run (CS231n's checklist), one command.
# Each check builds the network the settings describe and measures one thing: the initial loss is ln C, the loss
# rises with lambda, the data and L2 gradients agree with centered differences, 20 samples can be fitted, and
# each step moves the weights by about a thousandth. A check that fails says what to do.
#
# Run: dotnet pwsh ./build.ps1; dotnet pwsh ./examples/Sanity-Checks.ps1

. (Join-Path $PSScriptRoot '_Common.ps1')   # stop on errors, import the built module, Show-Example

Show-Example 'Run the sanity checklist on Digits with the default settings: every check passes' {
    Import-Dataset -Name Digits | Test-MlpSanity
}

Show-Example 'A learning rate 10,000 times too large fails UpdateRatio, with advice and a rate to try' {
    $results = Import-Dataset -Name Digits |
        Test-MlpSanity -LearningRate 500 -Check UpdateRatio -WarningAction SilentlyContinue
    $results | Format-List Check, Passed, Measured, Advice
}

Show-Example 'Initial weights far too large fail InitialLoss; zero weights fail RegularizationRaisesLoss' {
    $digits = Import-Dataset -Name Digits
    $digits | Test-MlpSanity -WeightScale 10 -Check InitialLoss -WarningAction SilentlyContinue | Format-List Check, Passed, Measured, Advice
    $digits | Test-MlpSanity -WeightScale 0 -Check RegularizationRaisesLoss -WarningAction SilentlyContinue | Format-List Check, Passed, Advice
}

Show-Example 'Check Adam''s settings before a long run, and read the numbers measured' {
    $r = Import-Dataset -Name Digits | Test-MlpSanity -Optimizer Adam -LearningRate 0.001 -Check Overfit, UpdateRatio
    $r | Format-Table Check, Passed, Measured
    'Update/weight ratio of W1: {0:G3}; of W2: {1:G3}' -f $r[1].Measurements.W1, $r[1].Measurements.W2
}
