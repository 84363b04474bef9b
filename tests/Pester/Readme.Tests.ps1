# The README's tour shows what it prints: run as a -File script (as a user who pastes it into one would), every
# command prints the output the README shows under it (timings aside).

BeforeAll {
    $updater = Join-Path $PSScriptRoot '../../tools/Update-ReadmeTour.ps1'
}

Describe 'The README tour' {
    It 'prints, as a script, what the README shows' {
        $differences = @(& $updater -ModulePath $env:MLPTOOLS_MODULE_PATH -Check)
        $differences -join "`n`n" | Should -BeNullOrEmpty
    }

    It 'uses only files the repository has' {
        $readme = Get-Content -LiteralPath (Join-Path $PSScriptRoot '../../README.md') -Raw
        foreach ($file in [regex]::Matches($readme, '\./examples/[\w.-]+') | ForEach-Object Value | Sort-Object -Unique) {
            Test-Path -LiteralPath (Join-Path $PSScriptRoot "../../$file") | Should -BeTrue -Because "the README uses $file"
        }
    }
}
