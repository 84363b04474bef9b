BeforeAll {
    if (-not $env:MLPTOOLS_MODULE_PATH) {
        throw 'MLPTOOLS_MODULE_PATH is not set: run the tests through ./build.ps1 -Task Test or tools/Invoke-Pester.ps1.'
    }
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:ModulePath = $env:MLPTOOLS_MODULE_PATH
    $script:Manifest = Import-PowerShellDataFile -LiteralPath $ModulePath
    $script:Module = Import-Module $ModulePath -Force -PassThru
}

Describe 'The MlpTools module' {
    It 'has a valid manifest' {
        { Test-ModuleManifest -Path $ModulePath -ErrorAction Stop } | Should -Not -Throw
    }

    It 'exports exactly the cmdlets its manifest lists' {
        $exported = @($Module.ExportedCmdlets.Keys | Sort-Object) -join ', '
        $exported | Should -Be (@($Manifest.CmdletsToExport | Sort-Object) -join ', ')
    }

    It 'exports no functions, variables or aliases' {
        $Module.ExportedFunctions.Count | Should -Be 0
        $Module.ExportedVariables.Count | Should -Be 0
        $Module.ExportedAliases.Count | Should -Be 0
    }

    It 'installs with build.ps1 -Task Install, after which a fresh pwsh loads it by name on first use' {
        $folder = Join-Path $TestDrive 'modules'
        $pwsh = @(Get-PwshCommand)
        $build = Join-Path $PSScriptRoot '../../build.ps1'
        $said = & $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -File $build -Task Install -ModulePath $folder 2>&1 | Out-String
        $LASTEXITCODE | Should -Be 0 -Because $said
        $version = $Manifest.ModuleVersion
        Test-Path -LiteralPath (Join-Path $folder "MlpTools/$version/MlpTools.psd1") | Should -BeTrue
        $said | Should -Match "Installed MlpTools $([regex]::Escape($version))"
        # No Import-Module: the first cmdlet loads the module from the folder on PSModulePath.
        $result = Invoke-InFreshPwsh -NoModule {
            param($folder)
            $env:PSModulePath = $folder + [IO.Path]::PathSeparator + $env:PSModulePath
            (Import-Dataset -Name Spiral -Seed 1).Count
            (Get-Module MlpTools).ModuleBase
        } -ArgumentList $folder
        $result.ExitCode | Should -Be 0
        $result.Output[0] | Should -Be 300
        $result.Output[1] | Should -BeLike "$folder*"
    }

    It 'imports in a fresh pwsh -NoProfile' {
        $result = Invoke-InFreshPwsh { (Get-Module MlpTools).Version.ToString() }
        $result.StdErr | Should -BeNullOrEmpty
        $result.ExitCode | Should -Be 0
        $result.Output | Should -Be $Manifest.ModuleVersion
    }

    It 'compiles the engine for both precisions in the background after import, double last at the lowest priority' {
        $result = Invoke-InFreshPwsh {
            $asm = [MlpTools.Core.Model.Mlp].Assembly
            $warmed = $asm.GetType('MlpTools.Core.Numerics.KernelWarmup').GetMethod('Warmed', [Reflection.BindingFlags]'NonPublic,Static')
            $begun = $asm.GetType('MlpTools.Core.Numerics.KernelWarmup').GetProperty('TrainingBegun', [Reflection.BindingFlags]'NonPublic,Static')
            # The warm-up thread as Linux names it (the first 15 bytes of "MlpTools kernel warm-up"), and the highest nice
            # value it was seen at: field 19 of its stat, the 17th after the name's closing parenthesis.
            $highest = $null
            $clock = [Diagnostics.Stopwatch]::StartNew()
            while (-not $warmed.Invoke($null, @([MlpTools.Core.Precision]::Double)) -and $clock.Elapsed.TotalSeconds -lt 30) {
                if ($IsLinux) {
                    foreach ($task in [IO.Directory]::GetDirectories('/proc/self/task')) {
                        try {
                            if ([IO.File]::ReadAllText("$task/comm").TrimEnd("`n") -ne 'MlpTools kernel') { continue }
                            $stat = [IO.File]::ReadAllText("$task/stat")
                            $nice = [int](($stat.Substring($stat.LastIndexOf(')') + 2) -split ' ')[16])
                            if ($null -eq $highest -or $nice -gt $highest) { $highest = $nice }
                        }
                        catch [IO.IOException] { } # the thread ended meanwhile
                    }
                }
                Start-Sleep -Milliseconds 10
            }
            [pscustomobject]@{
                Single = $warmed.Invoke($null, @([MlpTools.Core.Precision]::Single))
                Double = $warmed.Invoke($null, @([MlpTools.Core.Precision]::Double))
                Trained = $begun.GetValue($null)
                Highest = $highest
            }
        }
        $result.ExitCode | Should -Be 0 -Because $result.StdErr
        $found = $result.Output[0]
        $found.Single | Should -BeTrue
        # No double-precision network was made: the warm-up went on to double precision by itself.
        $found.Double | Should -BeTrue
        # Its rehearsals do not count as a training of the session's own.
        $found.Trained | Should -BeFalse
        if ($IsLinux) { $found.Highest | Should -Be 19 }
    }

    It 'has an about_MlpTools topic with the derivation and how to read the diagnostics, naming only cmdlets it exports' {
        $result = Invoke-InFreshPwsh { Get-Help about_MlpTools | Out-String -Width 120 }
        $result.ExitCode | Should -Be 0
        $text = $result.Output -join "`n"
        $text | Should -Match 'lambda / \(2m\)'
        $text | Should -Match 'm is the number of samples the loss is taken over'
        $text | Should -Match 'UpdateRatio'
        $text | Should -Match 'DeadUnitShare'
        $named = [regex]::Matches($text, '\b(?:Import|Export|New|Invoke|Test|Get|Show|Split|ConvertTo)-(?:Mlp|Dataset|Training)\w*') | ForEach-Object Value | Sort-Object -Unique
        $exported = (Get-Command -Module MlpTools).Name
        @($named | Where-Object { $_ -notin $exported }) | Should -BeNullOrEmpty
    }
}
